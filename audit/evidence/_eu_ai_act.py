"""EU AI Act, Regulation (EU) 2024/1689: the provisions for high-risk AI systems a run bears on.

Identifiers follow the Regulation's numbering as published in the Official Journal (OJ L, 12.7.2024);
each ``gist`` paraphrases the provision, whose own text is authoritative. A mapping of evidence, not legal
advice: whether the system is high-risk at all (Art. 6, Annex III) is the first item to supply.
"""

from __future__ import annotations

from audit.evidence._model import Framework, Row, Supply, register_framework

__all__ = ["EU_AI_ACT"]

_ROWS = (
    Row("Art. 9(2)", "Risk management: identify, analyse, estimate and evaluate risks",
        "Identify and analyse the known and reasonably foreseeable risks to health, safety and fundamental rights, "
        "estimate and evaluate them under intended use and foreseeable misuse, and adopt targeted measures.",
        ("concerns", "disparities", "slices", "membership"),
        "The risk analysis itself (risks beyond what a test set measures, misuse, affected persons) and the measures adopted.",
        coverage="supporting"),
    Row("Art. 9(6)–(8)", "Risk management: testing against prior defined metrics and thresholds",
        "Test the system to find the most appropriate risk management measures, throughout development and before it "
        "is placed on the market, against metrics and probabilistic thresholds defined beforehand and fit for the intended purpose.",
        ("verdict", "performance", "disparities", "provenance"),
        "Why these metrics and bounds fit the intended purpose, and testing in real-world conditions where planned (Art. 60)."),
    Row("Art. 10(2)(f)", "Data governance: examination for possible biases",
        "Examine the training, validation and testing data in view of possible biases likely to affect health and safety, "
        "fundamental rights, or lead to discrimination.",
        ("disparities", "representation", "group_performance", "group_reliance", "text_audits"),
        "Biases in how the data was collected or labelled, and against groups the table does not record."),
    Row("Art. 10(2)(g)", "Data governance: measures to detect, prevent and mitigate biases",
        "Take appropriate measures to detect, prevent and mitigate the possible biases identified under point (f).",
        ("mitigation", "verdict", "disparities"),
        "Which measure was adopted and why; measures on the data pipeline beyond post-processing."),
    Row("Art. 10(3)", "Data: relevant, representative, free of errors, complete",
        "Data sets shall be relevant, sufficiently representative, as far as possible free of errors and complete in view "
        "of the intended purpose, with the appropriate statistical properties, including for the persons or groups concerned.",
        ("data", "representation", "identifier_scan"),
        "Relevance and representativeness for the intended purpose and the population of use; labelling errors."),
    Row("Art. 10(4)", "Data: the geographical, contextual, behavioural or functional setting",
        "Data sets shall take into account the characteristics particular to the setting in which the system is intended to be used.",
        ("data", "representation"),
        "The intended setting and how the data reflects it: the run records the data's source, not the setting of use.",
        coverage="supporting"),
    Row("Art. 10(5)", "Special categories of personal data for bias detection and correction",
        "Special categories of personal data may exceptionally be processed to detect and correct bias, subject to the "
        "safeguards of points (a)–(f) (necessity, pseudonymisation, access control, deletion, records).",
        ("data", "identifier_scan", "privacy_dp"),
        "The legal conditions and safeguards (a)–(f): necessity, access controls, deletion, and the record of processing.",
        coverage="supporting"),
    Row("Art. 11(1), Annex IV(1)", "Technical documentation: general description",
        "A general description of the system: intended purpose, provider, version, the software and hardware it runs "
        "with, the versions of relevant software.",
        ("card_text", "provenance", "design"),
        "Provider identity, the intended purpose as a provider's statement (the card text is recorded, not checked), the "
        "forms in which the system is placed on the market, the user interface and instructions for use."),
    Row("Annex IV(2)(b)", "Technical documentation: design specifications",
        "The general logic of the system and its algorithms, key design choices and assumptions, what it optimises for, "
        "the expected output, and trade-offs made to meet the requirements.",
        ("design", "privacy_dp", "mitigation"),
        "The rationale and assumptions behind the design choices, including about the persons it is used on."),
    Row("Annex IV(2)(d)", "Technical documentation: data requirements (datasheets)",
        "Datasheets describing the training data: provenance, scope and main characteristics, how data was obtained and "
        "selected, labelling and cleaning.",
        ("data", "identifier_scan", "representation"),
        "How the data was obtained, selected and labelled (the run records its source and hashes, not its collection)."),
    Row("Annex IV(2)(e)", "Technical documentation: assessment of human-oversight measures",
        "An assessment of the oversight measures needed under Art. 14, including technical measures that help deployers "
        "interpret the outputs.",
        ("explanations", "concerns", "reviews"),
        "The oversight measures themselves and their assessment; the run only offers interpretation aids.",
        coverage="supporting"),
    Row("Annex IV(2)(g)", "Technical documentation: validation and testing",
        "The validation and testing procedures, the test data and its main characteristics, the metrics of accuracy, "
        "robustness and potentially discriminatory impacts, and dated, signed test logs and reports.",
        ("verdict", "performance", "disparities", "data", "integrity", "reviews"),
        "Signature by the responsible persons (a signed review records one, if made) and tests outside this run."),
    Row("Annex IV(3)", "Technical documentation: monitoring, functioning and control",
        "Capabilities and limitations in performance, including accuracy for specific persons or groups and overall, "
        "foreseeable unintended outcomes and sources of risk, and input data specifications.",
        ("group_performance", "performance", "slices", "card_text"),
        "The human-oversight measures of Art. 14 and specifications of input data in use."),
    Row("Annex IV(4)", "Technical documentation: appropriateness of the performance metrics",
        "A description of why the performance metrics are appropriate for the specific system.",
        ("verdict", "performance"),
        "The argument itself: the run lists the metrics and their intervals, a person explains why they fit.",
        coverage="supporting"),
    Row("Art. 12", "Record-keeping",
        "The system shall technically allow automatic recording of events (logs) over its lifetime, for traceability.",
        ("integrity", "provenance", "reviews"),
        "Logging by the system in operation (Art. 12(2)–(3)); the run is a sealed record of one audit, not of use.",
        coverage="supporting"),
    Row("Art. 13(3)(b)(ii)", "Instructions for use: accuracy, robustness, cybersecurity and what affects them",
        "The level of accuracy (with its metrics), robustness and cybersecurity the system was tested and validated against "
        "and can be expected, and known and foreseeable circumstances that may affect them.",
        ("performance", "slices", "robustness", "membership"),
        "The instructions for use themselves, and circumstances of deployment the test rows do not cover."),
    Row("Art. 13(3)(b)(iv)", "Instructions for use: capabilities to explain output",
        "Where applicable, the technical capabilities and characteristics of the system to provide information relevant "
        "to explain its output.",
        ("explanations",),
        "How deployers receive and use explanations in operation."),
    Row("Art. 13(3)(b)(v)", "Instructions for use: performance for specific persons or groups",
        "When appropriate, the system's performance regarding specific persons or groups on which it is intended to be used.",
        ("group_performance", "disparities", "text_audits"),
        "Groups of the population of use that the table does not record."),
    Row("Art. 13(3)(b)(vi)", "Instructions for use: input data and training, validation and test data",
        "When appropriate, specifications for the input data, or other relevant information about the training, "
        "validation and testing data sets, taking into account the intended purpose.",
        ("data", "representation"),
        "Specifications of the input data in operation."),
    Row("Art. 14(4)", "Human oversight: enabling the persons who oversee",
        "The system is provided so that the persons overseeing it can understand its capacities and limitations, remain "
        "aware of automation bias, interpret its output, decide not to use it, and intervene or stop it.",
        ("explanations", "concerns", "reviews", "slices"),
        "The oversight design (Art. 14(1)–(3)): who oversees, with what authority and means to override or stop.",
        coverage="supporting"),
    Row("Art. 15(1), 15(3)", "Accuracy: an appropriate level, declared with its metrics",
        "An appropriate level of accuracy, robustness and cybersecurity, performing consistently over the lifecycle; the "
        "levels of accuracy and the relevant metrics declared in the instructions for use.",
        ("performance", "group_performance", "verdict"),
        "The declaration in the instructions for use, and consistency over the lifecycle (monitoring, Art. 72)."),
    Row("Art. 15(4)", "Robustness: resilience to errors, faults and inconsistencies",
        "Resilience regarding errors, faults or inconsistencies within the system or its environment, e.g. through "
        "technical redundancy; for systems that keep learning, feedback loops addressed.",
        ("robustness", "slices", "model_checks"),
        "Robustness to perturbations the audit did not apply, fail-safe plans and redundancy in the deployed system."),
    Row("Art. 15(5)", "Cybersecurity: resilience to attacks",
        "Resilience against attempts to alter use, outputs or performance by exploiting vulnerabilities, with measures "
        "against data and model poisoning, adversarial examples, confidentiality attacks and model flaws.",
        ("membership", "privacy_dp", "canary", "integrity"),
        "Poisoning, evasion (adversarial examples) and security of the deployed system: the run tests only confidentiality "
        "(membership inference) and the integrity of its own files."),
    Row("Art. 72", "Post-market monitoring",
        "The provider establishes and documents a post-market monitoring system that collects and analyses data on "
        "performance over the lifetime, based on a post-market monitoring plan.",
        ("performance", "disparities", "provenance"),
        "The monitoring system and plan (Art. 72(3)); the run is a baseline that a later run can be compared with "
        "('rai-audit compare').", coverage="supporting"),
)

_SUPPLY = (
    Supply("Whether the system is high-risk, and the role of each party (provider, deployer)",
           "The Act's requirements for high-risk systems apply only to systems classified as high-risk.",
           ("Art. 6", "Annex III", "Art. 3(3)–(4)")),
    Supply("The intended purpose and its boundaries (who, where, for which decisions; foreseeable misuse)",
           "Every requirement is judged against the intended purpose; the card's text is recorded, not validated.",
           ("Art. 3(12)", "Art. 13(3)(b)(i)", "Annex IV(1)(a)")),
    Supply("The risk management system as a documented, continuous process, and the residual-risk decision",
           "Residual risks must be judged acceptable by a person; a gate passing is not that judgement.",
           ("Art. 9(1)–(2)", "Art. 9(5)", "Annex IV(5)")),
    Supply("Data governance beyond the audited table: design choices, collection and origin, labelling, "
           "assumptions, availability and suitability, data gaps",
           "The run sees one prepared table; how it came to be is outside it.",
           ("Art. 10(2)(a)–(e)", "Art. 10(2)(h)", "Annex IV(2)(d)")),
    Supply("Safeguards for processing special categories of personal data for bias detection",
           "Legal conditions and organisational measures no measurement shows.", ("Art. 10(5)(a)–(f)",)),
    Supply("The human-oversight design: who oversees, with what competence, authority and means to override or stop",
           "Oversight is a design of the deployed system and its organisation.",
           ("Art. 14(1)–(3)", "Art. 13(3)(d)", "Annex IV(2)(e)")),
    Supply("The instructions for use, including the declared accuracy levels and metrics",
           "The run supplies the figures; the instructions are the provider's document.", ("Art. 13(2)–(3)", "Art. 15(3)")),
    Supply("The post-market monitoring system and plan", "A plan for collecting and analysing performance in use.",
           ("Art. 72(1)–(3)", "Annex IV(9)")),
    Supply("The quality management system", "Policies, procedures and responsibilities of the provider.", ("Art. 17",)),
    Supply("Conformity assessment, EU declaration of conformity, CE marking and registration",
           "Formal steps before placing on the market.", ("Art. 43", "Art. 47", "Art. 48", "Art. 49", "Annex IV(8)")),
    Supply("Harmonised standards or specifications applied", "A list the provider keeps.", ("Annex IV(7)",)),
    Supply("A fundamental rights impact assessment, where the deployer must perform one",
           "Deployers of certain high-risk systems assess impacts before use.", ("Art. 27",)),
)

EU_AI_ACT = register_framework(Framework(
    key="eu-ai-act",
    title="EU AI Act",
    citation="Regulation (EU) 2024/1689 of the European Parliament and of the Council of 13 June 2024 (Artificial "
             "Intelligence Act), OJ L, 2024/1689, 12.7.2024",
    source_url="https://eur-lex.europa.eu/eli/reg/2024/1689/oj",
    rows=_ROWS,
    supply=_SUPPLY,
    notes=("Requirements of Chapter III, Section 2 apply to high-risk AI systems; most apply from 2 August 2026.",),
))
