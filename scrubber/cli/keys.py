"""``scrubber keygen`` and ``scrubber decrypt``: key material and authorised re-identification."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from scrubber.cli.app import app, fail
from scrubber.keys import Key, KeyConfigError, generate_key_text, load_key, parse_key
from scrubber.operators import decrypt_text


@app.command()
def keygen(output: Optional[Path] = typer.Option(None, "-o", "--output", help="write to this file (mode 600)")) -> None:
    """Generate a random 256-bit key (hex) for SCRUBBER_*_KEY or SCRUBBER_*_KEY_FILE."""
    text = generate_key_text()
    if output is None:
        typer.echo(text)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.touch(mode=0o600, exist_ok=True)
    output.write_text(text + "\n", encoding="utf-8")
    typer.echo(f"wrote key {parse_key(text, str(output)).id} to {output}", err=True)


@app.command()
def decrypt(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="scrubbed text or JSONL"),
    key_file: list[Path] = typer.Option([], "--key-file", help="encryption key file (repeatable: old keys after rotation)"),
    output: Optional[Path] = typer.Option(None, "-o", "--output"),
) -> None:
    """Restore values written by the `encrypt` action. Needs the encryption key(s); for
    authorised re-identification only. Tokens of other keys are left in place and counted."""
    try:
        keys: list[Key] = [parse_key(p.read_text(encoding="utf-8"), str(p)) for p in key_file]
        env_key = load_key("encryption")
    except (KeyConfigError, OSError) as exc:
        raise fail(str(exc)) from None
    if env_key is not None:
        keys.append(env_key)
    if not keys:
        raise fail("no key: pass --key-file or set SCRUBBER_ENCRYPTION_KEY / SCRUBBER_ENCRYPTION_KEY_FILE")
    by_id = {k.id: k for k in keys}
    out = output.open("w", encoding="utf-8") if output else sys.stdout
    restored = skipped = 0
    try:
        with file.open(encoding="utf-8", errors="strict") as fh:
            for line in fh:
                text, r, s = decrypt_text(line, by_id)
                restored += r
                skipped += s
                out.write(text)
    except UnicodeDecodeError as exc:
        raise fail(f"{file}: not UTF-8 at byte {exc.start}") from None
    finally:
        if output:
            out.close()
    typer.echo(f"restored {restored} value(s); {skipped} token(s) of other keys or invalid", err=True)
