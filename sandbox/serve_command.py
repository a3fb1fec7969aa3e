"""`sandbox serve`'s command line: its options and its loop, apart from the server.

The CLI builds every command's parser at each start; the server (`sandbox.serve`: http.server,
API Gateway's integrations and templates) loads only when `serve` runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

DEFAULT_CALLER = "arn:aws:iam::123456789012:user/sandbox-user"
"""The IAM identity put into requestContext.identity of IAM-authorised routes (no signature is checked)."""


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: use 0-65535 (0 picks a free one)")
    return port


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("serve", help="serve the template's API events on 127.0.0.1 (handlers in-process)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; another address warns: authorisers are not "
                             "enforced)")
    parser.add_argument("--port", type=_port, default=3000, help="port (default 3000; 0 picks a free one)")
    parser.add_argument("--caller", default=DEFAULT_CALLER,
                        help=f"IAM ARN put into requestContext.identity of IAM routes (default {DEFAULT_CALLER})")
    parser.add_argument("--start", action="append", default=[], metavar="WORKFLOW=EVENT",
                        help="start an execution before serving (repeatable), e.g. it-provisioning=events/x.json")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser


def main(args: argparse.Namespace) -> int:
    from sandbox.core import Sandbox
    from sandbox.serve import banner, exposure_warning, serve, terminal_safe

    template = Path(getattr(args, "template", "template.yaml"))
    if not template.is_file():
        print(f"sandbox: template not found: {template}", file=sys.stderr)
        return 2
    starts = []
    for spec in args.start:
        slug, _, event_file = spec.partition("=")
        try:
            starts.append((slug, json.loads(Path(event_file).read_text())))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            reason = "nested too deeply" if isinstance(error, RecursionError) else error
            print(f"sandbox: --start {spec}: {reason}", file=sys.stderr)
            return 2
    from sandbox.cli import register_stand_ins, sandbox_options  # here: the CLI module imports this one

    sb = Sandbox.from_template(template, **sandbox_options(args))
    register_stand_ins(sb, getattr(args, "stand_in", []))
    with sb:
        try:
            server, _thread = serve(sb, args.host, args.port, caller=args.caller, quiet=not args.verbose)
        except OSError as error:
            print(f"sandbox: cannot listen on {args.host}:{args.port}: {error.strerror or error}", file=sys.stderr)
            return 2
        print(banner(server), flush=True)
        warning = exposure_warning(server)
        if warning:
            print(warning, file=sys.stderr, flush=True)
        for slug, event in starts:
            if slug not in sb.state_machines:
                print(f"sandbox: unknown workflow {slug!r}", file=sys.stderr)
                continue
            print(f"Started {slug}: {sb.start(slug, event)}", flush=True)
        seen: dict[str, int] = {}
        try:
            while True:  # print what the workflows publish, with links pointing at this server
                for topic, messages in sb.all_notifications().items():
                    for message in messages[seen.get(topic, 0):]:
                        text = f"\n-- {topic}: {message['subject'] or ''}\n{server.localize(message['message'])}"
                        print(terminal_safe(text), flush=True)  # a request's fields are in the message
                    seen[topic] = len(messages)
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
            server.server_close()
    return 0
