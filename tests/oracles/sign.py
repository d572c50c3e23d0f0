#!/usr/bin/env python3
"""Prints the X-Twilio-Signature that the OFFICIAL `twilio` Python package computes for a
request, so tests can check our listener against Twilio's own implementation.

    sign.py --token TOKEN --url URL --form 'From=%2B614...&Body=hi'

The form is a raw application/x-www-form-urlencoded body, parsed the way Flask/Django hand
it to RequestValidator (repeated keys kept, blank values kept). Our own script; the
signing is entirely `twilio.request_validator.RequestValidator.compute_signature`.
"""
import argparse
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator


class Multi:
    """The multi-valued mapping RequestValidator reads repeated keys from (`getlist`)."""

    def __init__(self, pairs):
        self._d = {}
        for k, v in pairs:
            self._d.setdefault(k, []).append(v)

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)

    def getlist(self, k):
        return self._d[k]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--token", required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--form", default="")
    a = ap.parse_args()
    params = Multi(parse_qsl(a.form, keep_blank_values=True))
    print(RequestValidator(a.token).compute_signature(a.url, params))


if __name__ == "__main__":
    main()
