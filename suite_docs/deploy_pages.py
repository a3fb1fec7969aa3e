"""The *Deploy this pattern alone* section of each pattern's page, between `<!-- deploy:start/end -->`."""

from __future__ import annotations

import json

from sandbox.template_yaml import loads_template
from suite_docs.blocks import replace_block
from suite_docs.catalogue import GENERATED, PATTERNS_DIR, SAMCONFIG_FILE, TEMPLATE_FILE, Catalogue
from suite_docs.metadata import cleanup_steps, demo_command, deploy_commands
from suite_docs.standalone import standalone_text

DEPLOY_START, DEPLOY_END = "<!-- deploy:start -->", "<!-- deploy:end -->"


def deploy_block(catalogue: Catalogue, slug: str) -> str:
    pattern = catalogue.patterns[slug]
    resources = catalogue.template["Resources"]
    standalone = loads_template(standalone_text(catalogue, slug))
    shared = catalogue.shared() & pattern.resources
    own = sorted(pattern.resources - shared)
    params = standalone.get("Parameters", {})
    lines = [
        DEPLOY_START,
        f"<!-- {GENERATED} from template.yaml: do not edit. -->",
        f"The suite's `template.yaml` deploys every workflow at once (`sam build && sam deploy --guided` at the "
        f"top of the repository). To deploy this pattern alone, use its standalone template "
        f"[`{PATTERNS_DIR}/{slug}/{TEMPLATE_FILE}`](../{PATTERNS_DIR}/{slug}/{TEMPLATE_FILE}) and its "
        f"[`samconfig.toml`](../{PATTERNS_DIR}/{slug}/{SAMCONFIG_FILE}) (stack `sfn-{slug}`; "
        f"`--config-env dev` or `prod` for `sfn-{slug}-dev` / `-prod`). It is generated from `template.yaml` and "
        f"uses the same `statemachines/`, `functions/` and `events/`.",
        "",
        "```console",
        *(f"$ {command}" for command in deploy_commands(slug)),
        "```",
        "",
        f"- Its own resources ({len(own)}): " + ", ".join(f"`{lid}`" for lid in own) + ".",
    ]
    if shared:
        lines.append("- Shared with other workflows when the whole suite is deployed, created for this stack alone "
                     "here: " + ", ".join(f"`{lid}` ({resources[lid]['Type']})" for lid in sorted(shared)) + ".")
    if params:
        lines.append("- Parameters: " + ", ".join(
            f"`{name}` (default `{json.dumps(spec['Default']) if spec['Default'] == '' else spec['Default']}`)"
            if "Default" in spec else f"`{name}`" for name, spec in params.items()) + ".")
    outputs = standalone.get("Outputs", {})
    if outputs:
        lines.append("- Outputs: " + ", ".join(f"`{name}`" for name in outputs) + ".")
    lines += ["", "Offline, the sandbox runs the standalone template as it runs the suite's:", "",
              "```console",
              f"$ .venv/bin/sandbox --template {PATTERNS_DIR}/{slug}/{TEMPLATE_FILE} run "
              f"{demo_command(catalogue, slug).split(' ', 2)[2]}",
              "```", "", "**Clean up** (a stack deployed alone):", ""]
    lines += [f"{n}. {step.replace('<code>', '`').replace('</code>', '`')}"
              for n, step in enumerate(cleanup_steps(catalogue, slug), start=1)]
    lines.append(DEPLOY_END)
    return "\n".join(lines)


def page_text(catalogue: Catalogue, slug: str, current: str) -> str:
    """The pattern's page with its deploy block regenerated (appended under a heading when missing)."""
    block = deploy_block(catalogue, slug)
    if DEPLOY_START not in current and DEPLOY_END not in current:
        return current.rstrip("\n") + "\n\n## Deploy this pattern alone\n\n" + block + "\n"
    return replace_block(current, block, DEPLOY_START, DEPLOY_END, f"docs/{slug}.md")
