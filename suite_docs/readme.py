"""The README's workflow table: one row per pattern with a catalogue entry (`make docs` keeps it)."""

from __future__ import annotations

from suite_docs.catalogue import GENERATED, METADATA_FILE, PATTERNS_DIR, Catalogue
from suite_docs.metadata import demo_command, machine_entry, pattern_services, pattern_type, service_label

README_START, README_END = "<!-- catalogue:start -->", "<!-- catalogue:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def readme_block(catalogue: Catalogue) -> str:
    rows = ["| Workflow | Purpose | Type | Services | Entry | Offline demo | Page | Deploy alone |",
            "|---|---|---|---|---|---|---|---|"]
    for slug, pattern in catalogue.patterns.items():
        if pattern.metadata is None:
            continue  # a workflow joins the table with its catalogue entry
        meta = pattern.metadata
        machines = [m for m in pattern.state_machines if m in catalogue.machines]
        names = " + ".join(f"`{m}`" for m in machines)
        entry = "; ".join(machine_entry(catalogue, m) for m in machines)
        pages = ", ".join(f"[docs/{m}.md](docs/{m}.md)" for m in machines)
        services = ", ".join(service_label(s) for s in pattern_services(catalogue, slug))
        rows.append("| " + " | ".join([
            names, _cell(meta.get("description", "")), pattern_type(catalogue, slug),
            services, _cell(entry), f"`{_cell(demo_command(catalogue, slug))}`", pages,
            f"[{PATTERNS_DIR}/{slug}/]({PATTERNS_DIR}/{slug}/)",
        ]) + " |")
    return (f"{README_START}\n<!-- {GENERATED} from template.yaml and {PATTERNS_DIR}/*/{METADATA_FILE}: "
            f"do not edit. -->\n" + "\n".join(rows) + f"\n{README_END}")
