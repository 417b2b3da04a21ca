#!/usr/bin/env python3
"""Regenerates src/price/prices.json from ccusage's native binary (see src/price/prices.md).

    python3 src/price/snapshot.py [.tools/node_modules/@ccusage/ccusage-linux-x64/bin/ccusage]

ccusage embeds three deflated JSON snapshots (its LiteLLM subset, its models.dev subset and the
models.dev catalog rules) and one plain one (fast-multiplier-overrides.json). This script finds
them in the binary, applies what ccusage applies when it loads them (its built-in entries, the
fast multipliers, the long-context rates it copies from models.dev, which models.dev entries it
keeps), and writes the result restricted to Claude and OpenAI models. Numbers are read as
ccusage's serde_json reads them, so every price is the double ccusage computes with.

Only the Python standard library is used. Check the result with
`cargo test --test it parity_prices` (which prices every key against the ccusage binary).
"""

import json
import re
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_BINARY = HERE.parents[1] / ".tools/node_modules/@ccusage/ccusage-linux-x64/bin/ccusage"
OUT = HERE / "prices.json"
U64_MAX = 2**64 - 1

# ccusage 20.0.24's built-in entries for Claude and OpenAI models (its `put_builtin_pricing`):
# (key, input, output, cache write, cache read, above-200k rates or None, replaces LiteLLM's).
# Most only fill a key the LiteLLM snapshot lacks; three replace LiteLLM's entry outright.
BUILTIN = [
    ("claude-opus-4-5", 5e-6, 25e-6, 6.25e-6, 0.5e-6, None, False),
    ("claude-opus-4-6", 5e-6, 25e-6, 6.25e-6, 0.5e-6, None, False),
    ("claude-opus-4-7", 5e-6, 25e-6, 6.25e-6, 0.5e-6, None, False),
    ("claude-opus-4-8", 5e-6, 25e-6, 6.25e-6, 0.5e-6, None, False),
    ("claude-haiku-4-5", 1e-6, 5e-6, 1.25e-6, 0.1e-6, None, False),
    ("claude-opus-4", 15e-6, 75e-6, 18.75e-6, 1.5e-6, None, False),
    ("claude-sonnet-4-6", 3e-6, 15e-6, 3.75e-6, 0.3e-6, None, False),
    ("claude-sonnet-4", 3e-6, 15e-6, 3.75e-6, 0.3e-6, (6e-6, 22.5e-6, 7.5e-6, 0.6e-6), False),
    ("claude-3-5-haiku", 0.8e-6, 4e-6, 1.0e-6, 0.08e-6, None, False),
    ("claude-3-5-haiku-20241022", 0.8e-6, 4e-6, 1.0e-6, 0.08e-6, None, False),
    ("claude-3-opus", 15e-6, 75e-6, 18.75e-6, 1.5e-6, None, False),
    ("claude-3-sonnet", 3e-6, 15e-6, 3.75e-6, 0.3e-6, None, False),
    ("claude-3-haiku", 0.25e-6, 1.25e-6, 0.3e-6, 0.03e-6, None, False),
    ("gpt-5", 1.25e-6, 10e-6, 1.25e-6, 0.125e-6, None, False),
    ("gpt-5.5", 5e-6, 30e-6, 5e-6, 0.5e-6, None, False),
    ("gpt-5.1", 1.25e-6, 10e-6, 1.25e-6, 0.125e-6, None, False),
    ("gpt-5.1-codex", 1.25e-6, 10e-6, 1.25e-6, 0.125e-6, None, True),
    ("gpt-5.2-codex", 1.75e-6, 14e-6, 1.75e-6, 0.175e-6, None, True),
    ("gpt-5.3-codex", 1.75e-6, 14e-6, 1.75e-6, 0.175e-6, None, False),
    ("gpt-5.2", 1.75e-6, 14e-6, 1.75e-6, 0.175e-6, None, True),
    ("gpt-5.4", 2.5e-6, 15e-6, 2.5e-6, 0.25e-6, None, False),
    ("gpt-5.4-mini", 0.75e-6, 4.5e-6, 0.75e-6, 0.075e-6, None, False),
    ("gpt-5.4-nano", 0.2e-6, 1.25e-6, 0.2e-6, 0.02e-6, None, False),
    ("gpt-5.6-sol", 5e-6, 30e-6, 6.25e-6, 0.5e-6, None, False),
    ("gpt-5.6-terra", 2.5e-6, 15e-6, 3.125e-6, 0.25e-6, None, False),
    ("gpt-5.6-luna", 1e-6, 6e-6, 1.25e-6, 0.1e-6, None, False),
]

# ccusage's built-in aliases, tried when a name is not a key itself (its `pricing_alias`;
# `gpt-reserve` was found by pricing it with the binary).
ALIASES = {
    "gpt-5.3-spark": "gpt-5.3-codex-spark",
    "gpt-5.6": "gpt-5.6-sol",
    "gpt-reserve": "gpt-5.6-luna",
}


def wanted(key):
    """Claude models, and the OpenAI models a Codex report can name (gpt-*, codex-*, o1/o3/o4)."""
    low = key.lower()
    return (
        "claude" in low
        or "gpt" in low
        or "codex" in low
        or re.search(r"(^|[/.~])o[1-9]", low) is not None
    )


def serde_f64(literal):
    """A JSON number as serde_json 1.0 reads it without `float_roundtrip` (as ccusage does):
    the digits as a u64, converted to f64, then one multiplication or division by 10^exponent.
    That is not always the correctly rounded value (`0.09999999999999999` reads as 0.1)."""
    m = re.fullmatch(r"(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?", literal)
    if not m:
        raise ValueError(f"not a JSON number: {literal}")
    sign, whole, fraction, exponent = m.groups()
    significand, scale = 0, 0
    for position, digit in enumerate(whole + (fraction or "")):
        digit = int(digit)
        if significand >= U64_MAX // 10 and (significand > U64_MAX // 10 or digit > U64_MAX % 10):
            raise ValueError(f"{literal}: more digits than serde_json keeps; not handled")
        significand = significand * 10 + digit
        if position >= len(whole):
            scale -= 1
    scale += int(exponent or 0)
    value = float(significand)
    if scale >= 0:
        value *= float(f"1e{scale}")
    else:
        while -scale > 308 and value != 0.0:
            value /= 1e308
            scale += 308
        value /= float(f"1e{-scale}")
    return -value if sign else value


def load_json(text):
    return json.loads(text, parse_float=serde_f64)


def embedded_snapshots(binary):
    """The LiteLLM, models.dev and catalog-rules snapshots: raw deflate streams in the binary."""
    found = {}
    inflate = zlib.decompressobj
    for offset in range(len(binary)):
        if (binary[offset] >> 1) & 3 not in (1, 2):
            continue  # not the start of a Huffman-coded deflate block
        try:
            head = inflate(-15).decompress(binary[offset : offset + 1024], 2)
        except zlib.error:
            continue
        if head != b'{"':
            continue
        try:
            text = inflate(-15).decompress(binary[offset:]).decode()
            value = load_json(text)
        except (zlib.error, UnicodeDecodeError, ValueError):
            continue
        if "assetPricedModelIds" in value:
            found["rules"] = value
        elif all("cost" in v for v in value.values()):
            found["models_dev"] = value
        elif all("i" in v and "o" in v for v in value.values()):
            found["litellm"] = value
    missing = {"litellm", "models_dev", "rules"} - found.keys()
    if missing:
        sys.exit(f"snapshot.py: no {', '.join(sorted(missing))} snapshot found in the binary")
    return found


def fast_overrides(binary):
    """fast-multiplier-overrides.json, embedded as plain text."""
    start = binary.find(b'{\n\t"exact": {')
    if start < 0:
        sys.exit("snapshot.py: fast-multiplier-overrides.json not found in the binary")
    value, _ = json.JSONDecoder().raw_decode(binary[start : start + 4096].decode(errors="replace"))
    return value


def fast_multiplier(key, overrides):
    """ccusage's fast multiplier for an entry without its own: an exact override of any
    `/`- or `:`-separated part of the key (or of the part's alias), else a family whose name
    ends a part of the key spelled with `-` for `.` and `@` (checked against the binary)."""
    for part in re.split(r"[/:]", key):
        for name in (part, ALIASES.get(part)):
            if name in overrides["exact"]:
                return overrides["exact"][name]
    for part in re.split(r"[/:]", re.sub(r"[.@]", "-", key)):
        for base, multiplier in overrides["normalized_prefix"].items():
            at = part.rfind(base)
            if at >= 0 and (part[at:] == base or part[at + len(base)] == "-"):
                return multiplier
    return 1.0


def litellm_entry(compact):
    entry = {
        "input_cost_per_token": compact["i"],
        "output_cost_per_token": compact["o"],
    }
    for short, name in [
        ("cc", "cache_creation_input_token_cost"),
        ("cr", "cache_read_input_token_cost"),
        ("ia", "input_cost_per_token_above_200k_tokens"),
        ("oa", "output_cost_per_token_above_200k_tokens"),
        ("cca", "cache_creation_input_token_cost_above_200k_tokens"),
        ("cra", "cache_read_input_token_cost_above_200k_tokens"),
        ("ctx", "max_input_tokens"),
    ]:
        if short in compact:
            entry[name] = compact[short]
    return entry


ABOVE = [
    "input_cost_per_token_above_200k_tokens",
    "output_cost_per_token_above_200k_tokens",
    "cache_creation_input_token_cost_above_200k_tokens",
    "cache_read_input_token_cost_above_200k_tokens",
]


def models_dev_entry(model):
    cost = model["cost"]
    entry = {
        "input_cost_per_token": cost["input"] / 1e6,
        "output_cost_per_token": cost["output"] / 1e6,
    }
    if "cache_write" in cost:
        entry["cache_creation_input_token_cost"] = cost["cache_write"] / 1e6
    if "cache_read" in cost:
        entry["cache_read_input_token_cost"] = cost["cache_read"] / 1e6
    tiers = [
        t
        for t in cost.get("tiers") or []
        if (t.get("tier") or {}).get("type") == "context" and (t["tier"].get("size") or 0) > 0
    ]
    if tiers:
        # ccusage keeps one band: the lowest threshold.
        tier = min(tiers, key=lambda t: t["tier"]["size"])
        for field, name in zip(["input", "output", "cache_write", "cache_read"], ABOVE):
            if field in tier:
                entry[name] = tier[field] / 1e6
        entry["ccsync_whole_request_above_tokens"] = tier["tier"]["size"]
    if (model.get("limit") or {}).get("context") is not None:
        entry["max_input_tokens"] = model["limit"]["context"]
    if model.get("exactOnly"):
        entry["ccsync_exact_only"] = True
    return entry


def normalized_id(key):
    return key.lower().replace(".", "-").replace("@", "-")


def models_dev_table(models, rules):
    """The entries ccusage keeps from its models.dev snapshot: token-priced, not free, one per
    spelling (the one with the most detail, then the first in key order)."""
    asset = set(rules["assetPricedModelIds"])
    table, claims = {}, {}
    for key in sorted(models):
        model = models[key]
        cost = model.get("cost") or {}
        if normalized_id(key) in asset or "input" not in cost or "output" not in cost:
            continue
        if cost["input"] == 0 and cost["output"] == 0:
            continue
        entry = models_dev_entry(model)
        claim = (
            "ccsync_whole_request_above_tokens" in entry,
            "cache_read" in cost,
            "cache_write" in cost,
            "max_input_tokens" in entry,
        )
        spelling = normalized_id(key)
        previous = claims.get(spelling)
        if previous is not None:
            if previous[0] >= claim:
                continue
            del table[previous[1]]
        claims[spelling] = (claim, key)
        table[key] = entry
    return table


def without_date(key):
    if re.search(r"-\d{4}-\d{2}-\d{2}$", key) and len(key) > 11:
        return key[:-11]
    if re.search(r"-\d{8}$", key) and len(key) > 9:
        return key[:-9]
    return key


def fill_long_context(entry, key, models_dev):
    """ccusage copies models.dev's long-context band onto entries that publish none."""
    if any(name in entry for name in ABOVE):
        return
    base = without_date(key)
    source = models_dev.get(ALIASES.get(base, base)) or models_dev.get(base)
    if not source or "ccsync_whole_request_above_tokens" not in source:
        return
    for name in ABOVE + ["ccsync_whole_request_above_tokens"]:
        if name in source:
            entry[name] = source[name]


def primary_table(litellm, models_dev, overrides):
    table = {key: litellm_entry(compact) for key, compact in litellm.items()}
    fast = {key: compact["fast"] for key, compact in litellm.items() if "fast" in compact}
    for key, i, o, cw, cr, above, replaces in BUILTIN:
        if key in table and not replaces:
            continue
        entry = {
            "input_cost_per_token": i,
            "output_cost_per_token": o,
            "cache_creation_input_token_cost": cw,
            "cache_read_input_token_cost": cr,
        }
        if above:
            entry.update(zip(ABOVE, above))
        if key in table and "max_input_tokens" in table[key]:
            entry["max_input_tokens"] = table[key]["max_input_tokens"]
        entry["ccsync_source"] = "ccusage"
        table[key] = entry
        if replaces:
            fast[key] = 1.0  # a replaced entry keeps the built-in's multiplier
    for key, entry in table.items():
        fill_long_context(entry, key, models_dev)
        multiplier = fast.get(key) or fast_multiplier(key, overrides)
        if multiplier != 1.0:
            entry["provider_specific_entry"] = {"fast": multiplier}
    return table


def fallback_table(models_dev, overrides):
    for key, entry in models_dev.items():
        multiplier = fast_multiplier(key, overrides)
        if multiplier != 1.0:
            entry["provider_specific_entry"] = {"fast": multiplier}
    return models_dev


def write(primary, fallback, path):
    """One entry per line, keys sorted: `grep '"gpt-5"' prices.json` shows an entry whole."""

    def line(key, entry, indent):
        return f'{indent}{json.dumps(key)}: {json.dumps(entry)}'

    lines = [line(k, primary[k], "  ") for k in sorted(primary) if wanted(k)]
    lines.append('  "ccsync_aliases": ' + json.dumps(ALIASES, sort_keys=True))
    inner = [line(k, fallback[k], "    ") for k in sorted(fallback) if wanted(k)]
    lines.append('  "ccsync_fallback": {\n' + ",\n".join(inner) + "\n  }")
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n")


def main():
    binary = Path(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_BINARY).read_bytes()
    snapshots = embedded_snapshots(binary)
    overrides = fast_overrides(binary)
    models_dev = models_dev_table(snapshots["models_dev"], snapshots["rules"])
    primary = primary_table(snapshots["litellm"], models_dev, overrides)
    fallback = fallback_table(models_dev, overrides)
    write(primary, fallback, OUT)
    print(f"wrote {OUT}: {sum(map(wanted, primary))} entries, "
          f"{sum(map(wanted, fallback))} fallback entries")


if __name__ == "__main__":
    main()
