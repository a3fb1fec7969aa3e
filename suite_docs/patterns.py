"""What the catalogue regenerates: `patterns/<slug>/`, each page's deploy block and the README table."""

from __future__ import annotations

from suite_docs.blocks import replace_block
from suite_docs.catalogue import METADATA_FILE, PATTERNS_DIR, SAMCONFIG_FILE, TEMPLATE_FILE, Catalogue
from suite_docs.deploy_pages import page_text
from suite_docs.metadata import metadata_text
from suite_docs.readme import README_END, README_START, readme_block
from suite_docs.standalone import samconfig_text, standalone_text
from suite_docs.tree import Tree


def generate(tree: Tree, catalogue: Catalogue) -> None:
    """Every file of the catalogue, as `--write` leaves it (after the diagrams: pages exist by then)."""
    for slug, pattern in catalogue.patterns.items():
        if pattern.metadata is None:
            continue  # reported by problems(); generated once its catalogue entry is written
        folder = catalogue.pattern_dir(slug)
        standalone = standalone_text(catalogue, slug)
        tree.put(folder / TEMPLATE_FILE, standalone)
        tree.put(folder / SAMCONFIG_FILE, samconfig_text(catalogue, slug, standalone))
        meta = metadata_text(catalogue, slug)
        if meta is not None:
            tree.put(folder / METADATA_FILE, meta)
        page = catalogue.root / "docs" / f"{slug}.md"
        current = tree.read(page)
        if current is not None:
            tree.put(page, page_text(catalogue, slug, current))
    readme = catalogue.root / "README.md"
    current = tree.read(readme)
    if current is not None:
        tree.put(readme, replace_block(current, readme_block(catalogue), README_START, README_END, "README.md"))


def problems(catalogue: Catalogue, tree: Tree) -> list[str]:
    """What the catalogue lacks, one line each: what `--write` cannot generate (empty when complete)."""
    found = [f"template.yaml: {lid} is in no pattern: it {why}" for lid, why in catalogue.unplaced.items()]
    for slug, pattern in catalogue.patterns.items():
        if pattern.metadata is None:
            found.append(f"{PATTERNS_DIR}/{slug}/{METADATA_FILE}: missing (the catalogue entry of {slug})")
        for machine in pattern.state_machines:
            if machine not in catalogue.machines:
                found.append(f"{PATTERNS_DIR}/{slug}/{METADATA_FILE}: state machine {machine} is not in the template")
        if tree.read(catalogue.root / "docs" / f"{slug}.md") is None:
            found.append(f"docs/{slug}.md: missing (the page of {slug})")
    return found
