"""``scrubber check PATH...``: is this dataset safe to publish? (the pre-release check)

Scans files or folders (JSONL/JSON, CSV/TSV, text, Parquet, Arrow, Hugging Face folders; gzip and
zstd) for direct identifiers and secrets, re-identification risk in query logs (values issued by
fewer than k users, users combining a name with places) and k-anonymity of quasi-identifier
columns, against a policy. Prints a summary, writes JSON / Markdown / HTML / SARIF reports, and
exits 0 (pass), 1 (policy violated) or 2 (usage or input error) for CI to gate on.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from scrubber.cli.app import ConfigOption, NerOption, app, detector_settings, fail, key_ring, load_config


def _split(values: list[str]) -> list[str]:
    """Repeatable options also accept comma-separated lists: ``--fields query,title``."""
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


@app.command()
def check(
    paths: list[Path] = typer.Argument(..., help="files or folders (JSONL/JSON, CSV/TSV, text, Parquet, Arrow, HF folders; .gz/.zst)"),
    fields: list[str] = typer.Option([], "--fields", help="field paths or columns to scan (repeatable or comma-separated; default all)"),
    skip: list[str] = typer.Option([], "--skip", help="field paths or columns never scanned"),
    id_field: Optional[str] = typer.Option(None, "--id-field", help="record id column (reports); default 'id' if present"),
    user_field: Optional[str] = typer.Option(None, "--user-field", help="user or session column: enables the re-identification checks"),
    query_fields: list[str] = typer.Option([], "--query-field", help="fields holding queries for the rare-value check (adds to the policy's list)"),
    policy_file: Optional[Path] = typer.Option(None, "--policy", help="check policy YAML (default: built-in strict policy)"),
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="accepted findings by keyed fingerprint (JSON)"),
    update_baseline: bool = typer.Option(False, "--update-baseline", help="write every current finding into --baseline, then pass"),
    json_out: Optional[Path] = typer.Option(None, "--json", help="write the JSON report here"),
    markdown_out: Optional[Path] = typer.Option(None, "--markdown", help="write the Markdown report here"),
    html_out: Optional[Path] = typer.Option(None, "--html", help="write the self-contained HTML report here"),
    sarif_out: Optional[Path] = typer.Option(None, "--sarif", help="write SARIF 2.1.0 here (code scanning)"),
    write_release: Optional[Path] = typer.Option(None, "--write-release", help="write a scrubbed, k-suppressed copy here (same layout)"),
    scrub_policy: str = typer.Option("release", "--scrub-policy", help="scrub policy for --write-release (built-in, config or .yaml)"),
    jobs: int = typer.Option(1, "--jobs", "-j", min=0, help="worker processes (0: one per core)"),
    timestamp: bool = typer.Option(False, "--timestamp", help="put the check time in the reports (off: same input, same report)"),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress", help="progress bar on stderr (default: when a terminal)"),
    config: Optional[Path] = ConfigOption,
    ner: Optional[str] = NerOption,
) -> None:
    """Check a dataset before publication; exit 0 pass, 1 fail, 2 usage or input error."""
    from detectors.yamlconf import ConfigError
    from scrubber.check.policy import CheckPolicy, load_check_policy
    from scrubber.check.report import console_summary, to_json, to_markdown
    from scrubber.check.runner import CheckOptions, UsageError, is_terminal, run_check
    from scrubber.cli.policy_option import resolve_policy

    cfg = load_config(config)
    if policy_file is not None:
        try:
            policy = load_check_policy(policy_file)
        except ConfigError as exc:
            raise fail(str(exc)) from None
        source = str(policy_file)
    else:
        policy, source = CheckPolicy(), "built-in strict defaults"
    scrub = resolve_policy(scrub_policy, cfg) if write_release is not None else None
    opts = CheckOptions(
        paths=paths, policy=policy, policy_source=source, detectors=detector_settings(cfg, ner),
        fields=_split(fields), skip=_split(skip), id_field=id_field, user_field=user_field,
        query_fields=_split(query_fields), keys=key_ring(), jobs=jobs or (os.cpu_count() or 1),
        baseline=baseline, update_baseline=update_baseline, write_release=write_release, scrub_policy=scrub,
        progress=is_terminal() if progress is None else progress, timestamp=timestamp)
    try:
        report = run_check(opts)
    except UsageError as exc:
        raise fail(str(exc)) from None
    outputs = [(json_out, to_json), (markdown_out, to_markdown)]
    if html_out is not None:
        from scrubber.check.html import to_html
        outputs.append((html_out, to_html))
    if sarif_out is not None:
        from scrubber.check.sarif import to_sarif
        outputs.append((sarif_out, to_sarif))
    for path, render in outputs:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(report), encoding="utf-8")
    typer.echo(console_summary(report))
    raise typer.Exit(report["exit_code"])
