"""ISO/IEC 42001:2023 (AI management systems), Annex A reference controls a run bears on.

Control identifiers are those of Annex A (normative); each ``gist`` paraphrases the control's subject in
our own words — the standard's text is copyrighted and authoritative, read it for the requirement. Controls
are applied through the organisation's Statement of Applicability (clause 6.1.3); a run is evidence for a
control, never its implementation. A mapping of evidence, not a certification.
"""

from __future__ import annotations

from audit.evidence._model import Framework, Row, Supply, register_framework

__all__ = ["ISO_42001"]

_ROWS = (
    Row("A.4.3", "Data resources", "Document the data resources used for the AI system.",
        ("data", "representation"),
        "Data resources outside the audited table and their management.", coverage="supporting"),
    Row("A.4.4", "Tooling resources", "Document the tools used for the AI system.",
        ("provenance",),
        "Tools outside the run (labelling, deployment, monitoring).", coverage="supporting"),
    Row("A.4.5", "System and computing resources", "Document the system and computing resources used.",
        ("compute", "provenance"),
        "Computing resources of the deployed system.", coverage="supporting"),
    Row("A.5.4", "Assessing AI system impact on individuals or groups of individuals",
        "Assess and document the potential impacts of the system on individuals and groups throughout its life cycle.",
        ("disparities", "group_performance", "representation", "text_audits", "privacy_dp"),
        "The impact assessment itself: impacts beyond measured disparities and privacy, on the people affected.",
        coverage="supporting"),
    Row("A.6.2.3", "Documentation of AI system design and development",
        "Document the design and development of the system according to its objectives and requirements.",
        ("design", "data", "provenance"),
        "Design rationale and requirements the design answers."),
    Row("A.6.2.4", "AI system verification and validation",
        "Define and document verification and validation measures and the criteria for their use.",
        ("verdict", "performance", "disparities", "membership", "explanations"),
        "The criteria's justification and verification outside this run."),
    Row("A.6.2.5", "AI system deployment",
        "Document a deployment plan and ensure the requirements are met before deployment.",
        ("verdict", "design", "reviews"),
        "The deployment plan; the run shows the gate outcome and the exact weights that passed it.", coverage="supporting"),
    Row("A.6.2.6", "AI system operation and monitoring",
        "Define and document what is needed for the ongoing operation and monitoring of the system.",
        ("performance", "disparities", "provenance"),
        "Operation and monitoring; the run is a baseline a later run is compared with ('rai-audit compare').",
        coverage="supporting"),
    Row("A.6.2.7", "AI system technical documentation",
        "Determine and provide the technical documentation needed by each relevant category of interested parties.",
        ("card_text", "design", "integrity"),
        "Which documentation each interested party needs, and its delivery."),
    Row("A.6.2.8", "AI system recording of event logs",
        "Determine at which life-cycle phases event logging is enabled, at least when the system is in use.",
        ("integrity", "reviews", "provenance"),
        "Logging of the system in use; the run is a sealed record of one audit.", coverage="supporting"),
    Row("A.7.2", "Data for development and enhancement of AI system",
        "Define, document and implement data management processes for the development of AI systems.",
        ("data",),
        "The data management processes.", coverage="supporting"),
    Row("A.7.3", "Acquisition of data", "Determine and document details about the acquisition and selection of data.",
        ("data",),
        "How and under what terms the data was acquired and selected; the run records its source and hashes."),
    Row("A.7.4", "Quality of data for AI systems", "Define and document data quality requirements and ensure data meets them.",
        ("data", "representation", "identifier_scan"),
        "Quality requirements themselves and label quality."),
    Row("A.7.5", "Data provenance", "Define and document a process for recording the provenance of data.",
        ("data", "provenance"),
        "Provenance before the table was written (collection, transformations upstream)."),
    Row("A.7.6", "Data preparation", "Define and document criteria for selecting data preparations and methods.",
        ("data", "design"),
        "Preparation upstream of the audit and the criteria for choosing it."),
    Row("A.8.2", "System documentation and information for users",
        "Determine and provide the information users of the system need.",
        ("card_text", "performance", "group_performance"),
        "The information delivered to users, in their terms.", coverage="supporting"),
    Row("A.9.4", "Intended use of the AI system",
        "Ensure the system is used according to its intended uses and accompanying documentation.",
        ("card_text",),
        "Use in practice: the run records the intended use as written, it cannot observe use.", coverage="supporting"),
)

_SUPPLY = (
    Supply("The AI policy, its alignment with other policies and its review", "Organisational documents.",
           ("A.2.2", "A.2.3", "A.2.4")),
    Supply("AI roles and responsibilities, and a process to report concerns", "Organisational design.", ("A.3.2", "A.3.3")),
    Supply("The AI risk assessment, risk treatment (with residual-risk acceptance) and Statement of Applicability",
           "Management-system clauses no measurement replaces.", ("clause 6.1.2", "clause 6.1.3")),
    Supply("The AI system impact assessment process and its documentation, societal impacts included",
           "The run measures some impacts on groups; the assessment is a person's.",
           ("clause 6.1.4", "A.5.2", "A.5.3", "A.5.5")),
    Supply("Objectives and processes for responsible development, and the system's requirements and specification",
           "What the system must do and why.", ("A.6.1.2", "A.6.1.3", "A.6.2.2")),
    Supply("Data management beyond the audited table: processes, acquisition terms, quality requirements, provenance "
           "upstream", "The run sees one prepared table and records its source and hashes.", ("A.7.2", "A.7.3", "A.7.4", "A.7.5")),
    Supply("The deployment plan and the operation and monitoring plan", "Plans for use.", ("A.6.2.5", "A.6.2.6")),
    Supply("Human-oversight and responsible-use processes, and the intended use and its boundaries",
           "Use is outside an audit run.", ("A.9.2", "A.9.3", "A.9.4")),
    Supply("External reporting, incident communication and information for interested parties",
           "Communication processes.", ("A.8.3", "A.8.4", "A.8.5")),
    Supply("Allocation of responsibilities with suppliers and customers", "Contracts and agreements.",
           ("A.10.2", "A.10.3", "A.10.4")),
)

ISO_42001 = register_framework(Framework(
    key="iso-42001",
    title="ISO/IEC 42001:2023 (AI management system), Annex A",
    citation="ISO/IEC 42001:2023, Information technology — Artificial intelligence — Management system, Annex A "
             "(normative): reference control objectives and controls",
    source_url="https://www.iso.org/standard/81230.html",
    rows=_ROWS,
    supply=_SUPPLY,
    notes=("Control titles are the standard's; descriptions are paraphrases. Read the standard for the requirements.",),
))
