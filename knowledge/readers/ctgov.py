"""ClinicalTrials.gov API v2 study records (JSON): one ``Document`` per protocol module.

Accepted shapes: one study (``{"protocolSection": {...}}``), an API search page
(``{"studies": [...]}``) or a list of studies. Each module of ``protocolSection`` becomes a document
whose section names the module ("Status and dates", "Eligibility"…) and whose body is plain sentences
that name the trial (a passage must make sense on its own when retrieved); the eligibility criteria
text is split into ``## Inclusion criteria`` and ``## Exclusion criteria``. The version is the
record's last update posted date. Keys starting with ``_`` (a fixture's ``_comment``) are not content.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date as Date

from knowledge.documents import Document, content_hash
from knowledge.encoding_repair import repair_text
from knowledge.errors import DocumentError

NCT_ID = re.compile(r"NCT\d{8}")
FORMAT = "clinicaltrials.gov-api-v2"
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>~|=^])")
# "Inclusion Criteria:", "**Key Exclusion Criteria**", "Inclusion criteria for part B: text on the same line"
_CRITERIA_HEADER = re.compile(
    r"^\s*[*_#]*\s*(?:key\s+)?(inclusion|exclusion)\s+criteria\b([^:\n]{0,40}:|[*_\s]*$)\s*[*_]*\s*(.*)$",
    re.IGNORECASE)
_STATUS_MEANING = {
    "NOT_YET_RECRUITING": "The study is registered but is not enrolling participants yet.",
    "RECRUITING": "The study is enrolling participants.",
    "ENROLLING_BY_INVITATION": "The study enrols only people who are invited to take part.",
    "ACTIVE_NOT_RECRUITING": "The study is running but is no longer enrolling new participants.",
    "SUSPENDED": "The study has stopped for now and may start again.",
    "TERMINATED": "The study stopped early and will not start again.",
    "COMPLETED": "The study has ended normally.",
    "WITHDRAWN": "The study stopped before enrolling its first participant.",
}
_MODEL_MEANING = {
    "SINGLE_GROUP": "all participants receive the same treatment (single-group design)",
    "PARALLEL": "groups of participants receive different treatments at the same time (parallel design)",
    "CROSSOVER": "participants receive the treatments one after another (crossover design)",
    "SEQUENTIAL": "groups of participants are treated one after another (sequential design)",
    "FACTORIAL": "participants receive combinations of treatments (factorial design)",
}
_MASKING_MEANING = {
    "NONE": "The study is open label: participants and their doctors know which treatment is given.",
    "SINGLE": "The study is single-blind: one party does not know which treatment is given.",
    "DOUBLE": "The study is double-blind: two parties do not know which treatment is given.",
    "TRIPLE": "The study is triple-blind: three parties do not know which treatment is given.",
    "QUADRUPLE": "The study is quadruple-blind: four parties do not know which treatment is given.",
}
_SKIPPED_MODULES = {"oversightModule", "ipdSharingStatementModule", "miscInfoModule"}


# ---- small text helpers ------------------------------------------------------------------------------


def _enum(value: object) -> str:
    """``NOT_YET_RECRUITING`` → ``not yet recruiting``; ``PHASE2`` → ``Phase 2``; ``NA`` → ``not applicable``."""
    text = str(value)
    if text == "NA":
        return "not applicable"
    phase = re.fullmatch(r"(EARLY_)?PHASE(\d)", text)
    if phase:
        return ("Early " if phase.group(1) else "") + f"Phase {phase.group(2)}"
    return text.replace("_", " ").lower()


def _sentence(text: str) -> str:
    text = " ".join(str(text).split())
    return text if not text or text[-1] in ".!?" else text + "."


def _and(items: list[str]) -> str:
    items = [i for i in items if i]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def _date(value: object) -> str:
    """``2026-04-30`` → ``April 30, 2026``; ``2028-02`` → ``February 2028``; others unchanged."""
    text = str(value or "")
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = Date.fromisoformat(text)
            return f"{day:%B} {day.day}, {day.year}"
        if re.fullmatch(r"\d{4}-\d{2}", text):
            return f"{Date.fromisoformat(text + '-01'):%B %Y}"
    except ValueError:
        pass
    return text


def _dated(struct: object) -> str:
    """A registry date struct ``{"date", "type"}`` as words with (estimated)/(actual)."""
    if isinstance(struct, dict) and struct.get("date"):
        kind = f" ({_enum(struct['type'])})" if struct.get("type") else ""
        return _date(struct["date"]) + kind
    return _date(struct) if isinstance(struct, str) else ""


def registry_markdown(text: str) -> str:
    """Registry text (Markdown with backslash escapes, ``*`` bullets) → the body's Markdown."""
    text = _MD_ESCAPE.sub(r"\1", str(text).replace("\r\n", "\n"))
    return re.sub(r"(?m)^(\s*)[*+•]\s+", r"\1- ", text).strip()


def _humanize_key(key: str) -> str:
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", key.removesuffix("Module")).lower()
    return words[:1].upper() + words[1:]


# ---- one renderer per module: (module, nct id) → Markdown body --------------------------------------------


def _identification(m: dict, nct: str) -> list[str]:
    lines = [f"The ClinicalTrials.gov identifier of the study is {nct}."]
    if m.get("briefTitle"):
        lines.append(f"The brief title of {nct} is \"{m['briefTitle']}\".")
    if m.get("officialTitle"):
        lines.append(f"The official title of {nct} is \"{m['officialTitle']}\".")
    if m.get("acronym"):
        lines.append(f"The acronym of {nct} is {m['acronym']}.")
    org = m.get("organization") or {}
    if org.get("fullName"):
        lines.append(f"{nct} was registered by {org['fullName']}.")
    if (m.get("orgStudyIdInfo") or {}).get("id"):
        lines.append(f"The organisation's own study number for {nct} is {m['orgStudyIdInfo']['id']}.")
    others = [s.get("id") for s in m.get("secondaryIdInfos") or [] if isinstance(s, dict) and s.get("id")]
    if others:
        lines.append(f"Other identifiers of {nct}: {', '.join(others)}.")
    return lines


def _status(m: dict, nct: str) -> list[str]:
    lines = []
    if m.get("overallStatus"):
        lines.append(f"The recruitment status of {nct} is \"{_enum(m['overallStatus'])}\".")
        if m["overallStatus"] in _STATUS_MEANING:
            lines.append(_STATUS_MEANING[m["overallStatus"]])
    if m.get("whyStopped"):
        lines.append(_sentence(f"The reason the study stopped: {m['whyStopped']}"))
    for key, words in (("startDateStruct", "start date"), ("primaryCompletionDateStruct", "primary completion date"),
                       ("completionDateStruct", "study completion date")):
        if _dated(m.get(key)):
            lines.append(f"The {words} of {nct} is {_dated(m[key])}.")
    posted = (m.get("studyFirstPostDateStruct") or {}).get("date")
    if posted:
        lines.append(f"{nct} was first posted on ClinicalTrials.gov on {_date(posted)}.")
    updated = (m.get("lastUpdatePostDateStruct") or {}).get("date")
    if updated:
        lines.append(f"The ClinicalTrials.gov record of {nct} was last updated on {_date(updated)}.")
    if m.get("statusVerifiedDate"):
        lines.append(f"The status of {nct} was last verified in {_date(m['statusVerifiedDate'])}.")
    return lines


def _sponsors(m: dict, nct: str) -> list[str]:
    lines = []
    if (m.get("leadSponsor") or {}).get("name"):
        lines.append(f"The sponsor of {nct} is {m['leadSponsor']['name']}.")
    collaborators = [c.get("name", "") for c in m.get("collaborators") or [] if isinstance(c, dict)]
    if collaborators:
        lines.append(f"The collaborators of {nct} are {_and(collaborators)}." if len(collaborators) > 1
                     else f"The collaborator of {nct} is {collaborators[0]}.")
    party = m.get("responsibleParty") or {}
    if party.get("investigatorFullName"):
        details = ", ".join(p for p in (party.get("investigatorTitle"), party.get("investigatorAffiliation")) if p)
        lines.append(f"The responsible party for {nct} is {party['investigatorFullName']}"
                     + (f" ({details})." if details else "."))
    elif party.get("type"):
        lines.append(f"The responsible party for {nct} is the {_enum(party['type'])}.")
    return lines


def _description(m: dict, nct: str) -> list[str]:
    lines = []
    if m.get("briefSummary"):
        lines += ["## Brief summary", "", registry_markdown(m["briefSummary"]), ""]
    if m.get("detailedDescription"):
        lines += ["## Detailed description", "", registry_markdown(m["detailedDescription"]), ""]
    return lines


def _conditions(m: dict, nct: str) -> list[str]:
    lines = []
    conditions = [str(c) for c in m.get("conditions") or []]
    if conditions:
        lines.append(f"The condition studied in {nct} is {conditions[0]}." if len(conditions) == 1
                     else f"The conditions studied in {nct} are {_and(conditions)}.")
    if m.get("keywords"):
        lines.append(f"Keywords of {nct}: {', '.join(map(str, m['keywords']))}.")
    return lines


def _design(m: dict, nct: str) -> list[str]:
    lines = []
    if m.get("studyType"):
        kind = _enum(m["studyType"])
        lines.append(f"{nct} is an {kind} study." if kind[:1] in "aeiou" else f"{nct} is a {kind} study.")
    if m.get("phases"):
        phases = [_enum(p) for p in m["phases"]]
        lines.append(f"The phase of {nct} is {_and(phases)}." if len(phases) == 1
                     else f"{nct} is a combined {_and(phases)} study.")
    info = m.get("designInfo") or {}
    if info.get("allocation") == "RANDOMIZED":
        lines.append(f"In {nct}, participants are assigned to groups at random (randomised).")
    elif info.get("allocation") == "NON_RANDOMIZED":
        lines.append(f"In {nct}, participants are not assigned to groups at random.")
    if info.get("interventionModel"):
        model = info["interventionModel"]
        lines.append(f"In {nct}, {_MODEL_MEANING.get(model, 'the design is ' + _enum(model))}.")
    if info.get("interventionModelDescription"):
        lines.append(_sentence(info["interventionModelDescription"]))
    if info.get("primaryPurpose"):
        lines.append(f"The primary purpose of {nct} is {_enum(info['primaryPurpose'])}.")
    masking = (info.get("maskingInfo") or {}).get("masking")
    if masking:
        lines.append(_MASKING_MEANING.get(masking, f"The masking of {nct} is {_enum(masking)}."))
    enrollment = m.get("enrollmentInfo") or {}
    if enrollment.get("count") is not None:
        verb = "enrolled" if enrollment.get("type") == "ACTUAL" else "plans to enrol"
        lines.append(f"{nct} {verb} {enrollment['count']} participants.")
    return lines


def _arms(m: dict, nct: str) -> list[str]:
    lines = []
    arms = [a for a in m.get("armGroups") or [] if isinstance(a, dict)]
    if arms:
        lines += ["## Study groups (arms)", ""]
        for arm in arms:
            kind = f" ({_enum(arm['type'])} arm)" if arm.get("type") else ""
            text = f"The {arm.get('label', 'study')} group of {nct}{kind}"
            lines += [_sentence(f"{text}: {arm['description']}") if arm.get("description") else _sentence(text), ""]
    interventions = [i for i in m.get("interventions") or [] if isinstance(i, dict)]
    if interventions:
        lines += ["## Interventions", ""]
        for item in interventions:
            kind = f" ({_enum(item['type'])})" if item.get("type") else ""
            name = item.get("name", "The intervention")
            lines.append(_sentence(f"{name}{kind} in {nct}: {item['description']}") if item.get("description")
                         else f"{name}{kind} is an intervention in {nct}.")
            if item.get("otherNames"):
                lines.append(f"Other names for {name}: {', '.join(map(str, item['otherNames']))}.")
            lines.append("")
    return lines


def split_criteria(text: str) -> list[tuple[str, str]]:
    """(section, Markdown) pairs: text before the first header, then inclusion and exclusion criteria."""
    parts: list[tuple[str, list[str]]] = [("Eligibility criteria", [])]
    for line in registry_markdown(text).splitlines():
        header = _CRITERIA_HEADER.match(line)
        if header:
            qualifier = header.group(2).strip(" :*_")
            parts.append((" ".join(f"{header.group(1).capitalize()} criteria {qualifier}".split()), []))
            if header.group(3).strip():
                parts[-1][1].append(header.group(3).strip())
        else:
            parts[-1][1].append(line)
    return [(name, "\n".join(body).strip()) for name, body in parts if "\n".join(body).strip()]


def _eligibility(m: dict, nct: str) -> list[str]:
    lines = []
    low, high = str(m.get("minimumAge") or "").lower(), str(m.get("maximumAge") or "").lower()
    if low and high:
        lines.append(f"{nct} accepts participants aged {low} to {high}.")
    elif low or high:
        lines.append(f"{nct} accepts participants aged {'at least ' + low if low else 'up to ' + high}.")
    sex = m.get("sex")
    if sex == "ALL":
        lines.append(f"{nct} accepts participants of all sexes.")
    elif sex:
        lines.append(f"{nct} accepts {_enum(sex)} participants only.")
    if m.get("genderDescription"):
        lines.append(_sentence(m["genderDescription"]))
    if m.get("healthyVolunteers") is not None:
        lines.append(f"{nct} {'accepts' if m['healthyVolunteers'] else 'does not accept'} healthy volunteers.")
    lines = ["## Who can take part", "", *lines, ""] if lines else []
    for section, body in split_criteria(m.get("eligibilityCriteria") or ""):
        lines += [f"## {section}", "", body, ""]
    return lines


def _outcomes(m: dict, nct: str) -> list[str]:
    lines = []
    for key, heading, words in (("primaryOutcomes", "Primary outcomes", "a primary outcome measure"),
                                ("secondaryOutcomes", "Secondary outcomes", "a secondary outcome measure"),
                                ("otherOutcomes", "Other outcomes", "another outcome measure")):
        outcomes = [o for o in m.get(key) or [] if isinstance(o, dict) and o.get("measure")]
        if not outcomes:
            continue
        lines += [f"## {heading}", ""]
        for outcome in outcomes:
            text = f"{outcome['measure']} is {words} of {nct}."
            description = registry_markdown(outcome.get("description") or "")
            if description:
                if description[1:2].islower():  # "The proportion…" → "the proportion…", not "CR…"
                    description = description[0].lower() + description[1:]
                text = text[:-1] + ": " + _sentence(description)
            if outcome.get("timeFrame"):
                text += " " + _sentence(f"Time frame: {outcome['timeFrame']}")
            lines += [text, ""]
    return lines


def _place(location: dict) -> str:
    region = " ".join(p for p in (location.get("state"), location.get("zip")) if p)
    return ", ".join(p for p in (location.get("facility"), location.get("city"), region, location.get("country")) if p)


def _contacts(m: dict, nct: str) -> list[str]:
    lines = []
    people = [("central contact", c) for c in m.get("centralContacts") or [] if isinstance(c, dict)]
    people += [(_enum(o.get("role", "study official")), o) for o in m.get("overallOfficials") or []
               if isinstance(o, dict)]
    if people:
        lines += ["## Contacts", ""]
        for role, person in people:
            where = f" ({person['affiliation']})" if person.get("affiliation") else ""
            lines.append(f"The {role} of {nct} is {person.get('name', 'not named')}{where}.")
            reach = [f"phone {person['phone']}" if person.get("phone") else "",
                     f"email {person['email']}" if person.get("email") else ""]
            if any(reach):
                lines.append(f"{person.get('name', 'The contact')} can be reached by {_and(reach)}.")
        lines.append("")
    locations = [loc for loc in m.get("locations") or [] if isinstance(loc, dict)]
    if locations:
        lines += ["## Locations", ""]
        lines.append(f"{nct} takes place at one site: {_place(locations[0])}." if len(locations) == 1
                     else f"{nct} takes place at {len(locations)} sites.")
        for location in locations:
            status = f" (site status: {_enum(location['status'])})" if location.get("status") else ""
            lines.append(f"- {_place(location)}{status}")
        lines.append("")
    return lines


def _references(m: dict, nct: str) -> list[str]:
    citations = [r["citation"] for r in m.get("references") or [] if isinstance(r, dict) and r.get("citation")]
    return [f"A publication about {nct}: {_sentence(c)}" for c in citations]


def _generic(m: dict, nct: str) -> list[str]:
    """Modules without a renderer: ``Key: value`` lines, lists of objects as list items."""
    lines = []
    for key, value in m.items():
        if isinstance(value, dict):
            flat = "; ".join(f"{_humanize_key(k)}: {v}" for k, v in value.items() if not isinstance(v, dict | list))
            if flat:
                lines.append(_sentence(f"{_humanize_key(key)}: {flat}"))
        elif isinstance(value, list):
            items = [("; ".join(f"{_humanize_key(k)}: {v}" for k, v in item.items() if not isinstance(v, dict | list))
                      if isinstance(item, dict) else str(item)) for item in value]
            lines += [f"{_humanize_key(key)}:"] + [f"- {item}" for item in items if item]
        elif value not in (None, ""):
            lines.append(_sentence(f"{_humanize_key(key)}: {value}"))
    return lines


_Renderer = Callable[[dict, str], list[str]]
MODULES: dict[str, tuple[str, _Renderer]] = {
    "identificationModule": ("Identification", _identification),
    "statusModule": ("Status and dates", _status),
    "sponsorCollaboratorsModule": ("Sponsor and collaborators", _sponsors),
    "descriptionModule": ("Description", _description),
    "conditionsModule": ("Conditions", _conditions),
    "designModule": ("Study design", _design),
    "armsInterventionsModule": ("Arms and interventions", _arms),
    "eligibilityModule": ("Eligibility", _eligibility),
    "outcomesModule": ("Outcome measures", _outcomes),
    "contactsLocationsModule": ("Contacts and locations", _contacts),
    "referencesModule": ("References", _references),
}


# ---- records → documents ---------------------------------------------------------------------------------


def _studies(data: object) -> list[dict]:
    if isinstance(data, dict) and isinstance(data.get("protocolSection"), dict):
        return [data]
    if isinstance(data, dict) and isinstance(data.get("studies"), list):
        data = data["studies"]
    if isinstance(data, list):
        return [s for s in data if isinstance(s, dict) and isinstance(s.get("protocolSection"), dict)]
    return []


def record_version(protocol: dict) -> str | None:
    status = protocol.get("statusModule") or {}
    for value in ((status.get("lastUpdatePostDateStruct") or {}).get("date"), status.get("lastUpdateSubmitDate"),
                  status.get("statusVerifiedDate")):
        if value:
            return str(value)
    return None


def _has_text(body: str) -> bool:
    return any(line.strip() and not line.lstrip().startswith("#") for line in body.splitlines())


def study_documents(study: dict, source: str) -> list[Document]:
    """The documents of one study record, in the registry's module order."""
    protocol = study["protocolSection"]
    nct = str((protocol.get("identificationModule") or {}).get("nctId", ""))
    if not NCT_ID.fullmatch(nct):
        raise DocumentError(f"the study record has no valid identificationModule.nctId ({nct or 'none'})")
    ident = protocol.get("identificationModule") or {}
    brief = repair_text(str(ident.get("briefTitle") or ident.get("officialTitle") or nct))
    title = f"{brief} ({nct}), ClinicalTrials.gov record"
    canonical = json.dumps(study, sort_keys=True, ensure_ascii=False).encode("utf-8")
    version = record_version(protocol) or f"sha256:{content_hash(canonical)[:12]}"
    note = study.get("_comment")
    order = list(MODULES) + sorted(k for k in protocol if k not in MODULES)
    documents = []
    for key in order:
        module = protocol.get(key)
        if key.startswith("_") or key in _SKIPPED_MODULES or not isinstance(module, dict):
            continue
        section, render = MODULES.get(key, (_humanize_key(key), _generic))
        body = repair_text("\n".join(render(module, nct))).strip()
        body = re.sub(r"(?<![.])\.\.(?![.])", ".", body)  # "Co., Ltd." at the end of a sentence
        if not _has_text(body):
            continue
        metadata = {"format": FORMAT, "module": key, **({"note": note} if note else {})}
        documents.append(Document(trial_id=nct, title=title, section=section, version=version, source=source,
                                  body=body + "\n", metadata=metadata))
    return documents


def ctgov_documents(raw: bytes, source: str) -> list[Document]:
    """Documents of every study in a ClinicalTrials.gov API v2 JSON file."""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise DocumentError("the JSON file is not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise DocumentError(f"not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    studies = _studies(data)
    if not studies:
        raise DocumentError("not a ClinicalTrials.gov API v2 study record (no protocolSection)")
    note = data.get("_comment") if isinstance(data, dict) else None
    documents: list[Document] = []
    for study in studies:
        documents.extend(study_documents(study if study.get("_comment") or not note else {**study, "_comment": note},
                                         source))
    return documents
