"""Command line of labutils: ``python -m labutils doctor``."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labutils",
                                     description="Tools of the CNN workbook.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    doctor = commands.add_parser("doctor", help="say whether this machine is ready for the labs")
    doctor.add_argument("--no-network", action="store_true",
                        help="do not check whether torchvision's weights can be downloaded")
    args = parser.parse_args(argv)
    if args.command == "doctor":
        from .doctor import main as doctor_main

        return doctor_main(network=not args.no_network)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
