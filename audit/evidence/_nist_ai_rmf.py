"""NIST AI Risk Management Framework 1.0 (NIST AI 100-1): the subcategories a run bears on.

Identifiers are the Core's subcategories (GOVERN, MAP, MEASURE, MANAGE); each ``gist`` paraphrases the
subcategory, whose own wording in NIST AI 100-1 (January 2023) is authoritative. The framework is
voluntary; this is a mapping of evidence, not an attestation.
"""

from __future__ import annotations

from audit.evidence._model import Framework, Row, Supply, register_framework

__all__ = ["NIST_AI_RMF"]

_ROWS = (
    Row("GOVERN 1.4", "Risk management process and outcomes set by transparent controls",
        "The risk management process and its outcomes are established through transparent policies, procedures and "
        "other controls based on organisational risk priorities.",
        ("verdict", "integrity"),
        "The policies and procedures themselves; the run shows one control (release gates) and its outcome.",
        coverage="supporting"),
    Row("GOVERN 1.6", "Inventory of AI systems",
        "Mechanisms are in place to inventory AI systems, resourced according to organisational risk priorities.",
        ("provenance", "integrity"),
        "The inventory; the run gives an entry's identifiers (run, config, weights and manifest hashes).",
        coverage="supporting"),
    Row("MAP 1.1", "Intended purposes and context are understood and documented",
        "Intended purposes, beneficial uses, context-specific laws, norms and expectations, and the settings of "
        "deployment are understood and documented.",
        ("card_text",),
        "The documentation of purpose and context: the card's text is recorded as written, not checked.",
        coverage="supporting"),
    Row("MAP 2.3", "Scientific integrity and TEVV considerations are documented",
        "Scientific integrity and test, evaluation, verification and validation (TEVV) considerations are identified and "
        "documented, including experimental design, data collection and selection (availability, representativeness, "
        "suitability), system trustworthiness and construct validation.",
        ("data", "representation", "provenance", "verdict"),
        "Data collection and construct validity (does the target measure what is meant?)."),
    Row("MAP 3.1", "Potential benefits are examined and documented",
        "Potential benefits of the intended functionality and performance are examined and documented.",
        ("performance",),
        "The benefits in the use context; the run measures performance only.", coverage="supporting"),
    Row("MAP 3.2", "Potential costs of errors are examined and documented",
        "Potential costs, including non-monetary costs, of expected or realised AI errors or system functionality and "
        "trustworthiness, as connected to organisational risk tolerance, are examined and documented.",
        ("group_performance", "slices", "disparities"),
        "The cost of each kind of error to the people affected and the organisation's risk tolerance."),
    Row("MAP 3.5", "Processes for human oversight are defined, assessed and documented",
        "Processes for human oversight are defined, assessed and documented in accordance with organisational policies.",
        ("reviews", "concerns"),
        "The oversight process in use; reviews of the audit are one documented step.", coverage="supporting"),
    Row("MEASURE 1.1", "Approaches and metrics are selected; what is not measured is documented",
        "Approaches and metrics for the most significant risks mapped are selected for implementation; risks or "
        "trustworthiness characteristics that will not or cannot be measured are properly documented.",
        ("verdict", "performance", "disparities"),
        "The selection rationale; the items this document lists as not evidenced are a start on what is not measured."),
    Row("MEASURE 2.1", "Test sets, metrics and tools are documented",
        "Test sets, metrics, and details about the tools used during TEVV are documented.",
        ("data", "performance", "provenance", "integrity"),
        "Tests run outside rai-audit."),
    Row("MEASURE 2.3", "Performance is measured for conditions similar to deployment",
        "System performance or assurance criteria are measured qualitatively or quantitatively and demonstrated for "
        "conditions similar to the deployment setting(s); measures are documented.",
        ("performance", "group_performance", "verdict"),
        "That the test rows resemble the deployment setting."),
    Row("MEASURE 2.5", "Validity and reliability are demonstrated; limits of generalisation documented",
        "The system to be deployed is demonstrated to be valid and reliable; limitations of generalisability beyond the "
        "conditions under which it was developed are documented.",
        ("performance", "slices", "data", "robustness"),
        "Validity in the deployment population and over time."),
    Row("MEASURE 2.6", "Safety risks are evaluated; the system can fail safely",
        "The system is evaluated regularly for safety risks; it is demonstrated to be safe, its residual negative risk "
        "does not exceed the risk tolerance, and it can fail safely, in particular beyond its knowledge limits.",
        ("model_checks", "slices", "robustness"),
        "Safety in operation, the risk tolerance and fail-safe behaviour of the deployed system.", coverage="supporting"),
    Row("MEASURE 2.7", "Security and resilience are evaluated and documented",
        "AI system security and resilience are evaluated and documented.",
        ("membership", "privacy_dp", "canary", "integrity"),
        "Attacks beyond membership inference (poisoning, evasion, model theft) and the security of the deployed system."),
    Row("MEASURE 2.8", "Transparency and accountability risks are examined and documented",
        "Risks associated with transparency and accountability are examined and documented.",
        ("card_text", "provenance", "reviews", "integrity"),
        "Who is accountable, and the transparency offered to affected people.", coverage="supporting"),
    Row("MEASURE 2.9", "The model is explained, validated and documented",
        "The AI model is explained, validated and documented, and its output is interpreted within its context to "
        "inform responsible use and governance.",
        ("explanations", "group_reliance"),
        "Interpretation of outputs in the context of use."),
    Row("MEASURE 2.10", "Privacy risk is examined and documented",
        "Privacy risk of the AI system is examined and documented.",
        ("privacy_dp", "membership", "canary", "identifier_scan"),
        "Privacy risks of the data pipeline and the deployed system beyond the trained model."),
    Row("MEASURE 2.11", "Fairness and bias are evaluated and results documented",
        "Fairness and bias are evaluated and the results are documented.",
        ("disparities", "group_performance", "representation", "mitigation", "group_reliance", "text_audits"),
        "Harms to groups the data does not record, and the choice of fairness criteria for the context."),
    Row("MEASURE 2.12", "Environmental impact is assessed and documented",
        "Environmental impact and sustainability of model training and management activities are assessed and documented.",
        ("compute",),
        "The footprint of use, data, and experiments outside this run."),
    Row("MEASURE 2.13", "Effectiveness of TEVV metrics and processes is evaluated",
        "The effectiveness of the employed TEVV metrics and processes is evaluated and documented.",
        ("verdict", "disparities"),
        "An evaluation of the process; the run records each interval's method and what each test could detect, "
        "and the project's validity suite simulates their coverage (docs/validity.md).", coverage="supporting"),
    Row("MANAGE 1.1", "Whether the system achieves its purpose and should proceed",
        "A determination is made as to whether the system achieves its intended purposes and stated objectives and "
        "whether its development or deployment should proceed.",
        ("verdict", "concerns", "reviews"),
        "The determination is a person's decision; the verdict and reviews inform it.", coverage="supporting"),
    Row("MANAGE 1.2", "Treatment of risks is prioritised",
        "Treatment of documented AI risks is prioritised based on impact, likelihood and available resources or methods.",
        ("concerns",),
        "Impact and likelihood in the use context.", coverage="supporting"),
    Row("MANAGE 1.3", "Responses to high-priority risks are developed and documented",
        "Responses to high-priority risks are developed, planned and documented (mitigate, transfer, avoid or accept).",
        ("mitigation", "privacy_dp"),
        "The chosen response for each risk.", coverage="supporting"),
    Row("MANAGE 1.4", "Negative residual risks are documented",
        "Negative residual risks to downstream acquirers and end users are documented.",
        ("concerns", "verdict", "disparities"),
        "The residual-risk statement and its acceptance.", coverage="supporting"),
    Row("MANAGE 4.1", "Post-deployment monitoring plans are implemented",
        "Post-deployment monitoring plans are implemented, including input from users, appeal and override, "
        "decommissioning, incident response, recovery and change management.",
        ("performance", "disparities", "provenance"),
        "The monitoring plan; the run is a baseline for comparison with later runs ('rai-audit compare').",
        coverage="supporting"),
)

_SUPPLY = (
    Supply("Legal and regulatory requirements understood, managed and documented", "Organisational knowledge.", ("GOVERN 1.1",)),
    Supply("Policies and risk tolerance that set the level of risk management",
           "The gates' bounds should follow from them; the run cannot.", ("GOVERN 1.2", "GOVERN 1.3")),
    Supply("Roles, responsibilities and a schedule of periodic review", "Organisational design.", ("GOVERN 1.5", "GOVERN 2.1")),
    Supply("Decommissioning and phase-out procedures", "Plans for the system's end of life.", ("GOVERN 1.7",)),
    Supply("Intended purpose, context of use and the targeted application scope",
           "Recorded in the card as written; the documentation is a person's.", ("MAP 1.1", "MAP 3.3")),
    Supply("Data collection, selection and suitability beyond the audited table",
           "The run sees one prepared table; how it was collected and whether it suits the context is outside it.", ("MAP 2.3",)),
    Supply("Operator proficiency and the human-oversight processes in use", "Training and procedures of people.",
           ("MAP 3.4", "MAP 3.5")),
    Supply("Monitoring in production", "Behaviour in production is outside an audit run.", ("MEASURE 2.4", "MANAGE 4.1")),
    Supply("The go/no-go decision and the residual-risk acceptance", "A decision by the accountable person.",
           ("MANAGE 1.1", "MANAGE 1.4")),
    Supply("Risk responses chosen for each high-priority risk", "Mitigate, transfer, avoid or accept: a decision.",
           ("MANAGE 1.3",)),
    Supply("Incident communication and recovery", "Processes for incidents and errors in use.", ("MANAGE 4.3",)),
)

NIST_AI_RMF = register_framework(Framework(
    key="nist-ai-rmf",
    title="NIST AI Risk Management Framework 1.0",
    citation="NIST AI 100-1, Artificial Intelligence Risk Management Framework (AI RMF 1.0), National Institute of "
             "Standards and Technology, January 2023",
    source_url="https://doi.org/10.6028/NIST.AI.100-1",
    rows=_ROWS,
    supply=_SUPPLY,
    notes=("The AI RMF is voluntary; its subcategories are outcomes, not requirements.",),
))
