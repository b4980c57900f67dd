"""How well `duplicate-story-consistency` groups rows that tell one story, and how fast.

Needs ../shared (the seeds and the 10kGNAD dev articles); prints its numbers.

1. Real articles of one newspaper (514, different stories, many on the same topics) with
   the two seed pages (one event, two outlets) among them: how many groups form (each is
   a false group, unless two dev articles really report one event: they are listed to
   check by hand) and whether the seeds form one.
2. A rewrite proxy: every dev article of at least 8 sentences is split into its odd and
   its even sentences, two texts that tell one story in different sentences (harder
   than a real rewrite: each has half the text). Recall: pairs grouped together;
   false pairs: rows of different articles in one group.
3. ``--rows N``: time on N rows made of dev articles, each copy with one sentence dropped
   and made-up words added (so ~N/514 copies of every story: a stress test of large
   buckets), and the share of copies grouped with their own story.

    .venv/bin/python benchmarks/eval_stories.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import re
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from auditor.batch.stories import StorySettings, find_groups, story_features  # noqa: E402
from auditor.loaders import load_inputs  # noqa: E402
from auditor.mapping import build_batch  # noqa: E402
from auditor.rules import load_rules  # noqa: E402
from auditor.text.analysis import analyse_texts  # noqa: E402
from devdata import perturbed_copies, title_and_body  # noqa: E402

SHARED = REPO.parent / "shared"
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ„\"])")


def settings_from_rules() -> StorySettings:
    rule = next(rule for rule in load_rules().rules if rule.id == "duplicate-story-consistency")
    return StorySettings(**dict(rule.args or {}))


def groups_of(title: pd.Series | None, body: pd.Series, settings: StorySettings):
    analysis = analyse_texts(title, body)
    return find_groups(story_features(analysis, settings), settings)


def real_articles(settings: StorySettings) -> None:
    dev = pd.read_csv(SHARED / "data" / "gnad10k_dev.csv")
    seeds = build_batch(load_inputs(sorted((SHARED / "seeds").glob("*.txt"))), load_rules().column_mapping).data
    title, body = title_and_body(dev["text"])
    title = pd.concat([title, seeds["title"]], ignore_index=True)
    body = pd.concat([body, seeds["body"]], ignore_index=True)
    found = groups_of(title, body, settings)
    n = len(dev)
    seed_group = [group for group in found.groups if n in group]
    dev_groups = [group for group in found.groups if all(member < n for member in group)]
    print(f"1. {n} dev articles + 2 seed pages ({found.comparable} comparable): {len(found.groups)} groups; "
          f"seeds in one group: {bool(seed_group) and n + 1 in seed_group[0]}"
          f"{' (with ' + str(len(seed_group[0]) - 2) + ' dev rows)' if seed_group else ''}; "
          f"groups of dev articles only: {len(dev_groups)} (rows: {sum(map(len, dev_groups))})")
    for group in dev_groups:
        print("   group:")
        for member in group:
            print(f"     {dev['id'].iat[member]} [{dev['rubrik'].iat[member]}] {dev['text'].iat[member][:110]}")


def rewrite_proxy(settings: StorySettings) -> None:
    dev = pd.read_csv(SHARED / "data" / "gnad10k_dev.csv")
    halves, owner = [], []
    for number, text in enumerate(dev["text"]):
        sentences = SENTENCE.split(text)
        if len(sentences) < 8:
            continue
        halves += [" ".join(sentences[0::2]), " ".join(sentences[1::2])]
        owner += [number, number]
    owner = np.asarray(owner)
    found = groups_of(None, pd.Series(halves), settings)
    together = false_pairs = 0
    for group in found.groups:
        owners = owner[group]
        values, counts = np.unique(owners, return_counts=True)
        together += int((counts == 2).sum())
        same = int((counts * (counts - 1) // 2).sum())
        false_pairs += len(group) * (len(group) - 1) // 2 - same
    articles = len(halves) // 2
    print(f"2. rewrite proxy, {articles} articles as odd/even sentence halves: recall {together / articles:.1%} "
          f"({together} of {articles} pairs grouped), {len(found.groups)} groups, {false_pairs} false pairs")


def at_scale(rows: int, settings: StorySettings) -> None:
    dev = pd.read_csv(SHARED / "data" / "gnad10k_dev.csv")
    texts, picks = perturbed_copies(dev["text"], rows)
    title, body = title_and_body(texts)
    started = time.perf_counter()
    analysis = analyse_texts(title, body)
    analysed = time.perf_counter()
    found = find_groups(story_features(analysis, settings), settings)
    finished = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    group_of = np.full(rows, -1)
    for number, group in enumerate(found.groups):
        group_of[group] = number
    # A copy is grouped right when its group holds copies of its own story only.
    right = wrong = 0
    for group in found.groups:
        stories = np.unique(picks[group])
        if len(stories) == 1:
            right += len(group)
        else:
            wrong += len(group)
    print(f"3. {rows} rows ({len(analysis.surfaces)} distinct words): shared text analysis {analysed - started:.1f} s "
          f"(paid once for all checks), story grouping {finished - analysed:.1f} s; peak RSS {peak:.0f} MB; "
          f"{len(found.groups)} groups (stories: {len(np.unique(picks))}); rows in a group of their own story "
          f"only: {right / rows:.1%}, in mixed groups: {wrong / rows:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, help="also time the grouping on this many rows")
    args = parser.parse_args()
    if not (SHARED / "data" / "gnad10k_dev.csv").exists():
        sys.exit(f"{SHARED} is not present")
    settings = settings_from_rules()
    print(f"settings: {settings}")
    real_articles(settings)
    rewrite_proxy(settings)
    print("   (the halves share no lead sentence, which real rewrites do; the whole-text stage alone:)")
    rewrite_proxy(replace(settings, lead_threshold=0.0))
    if args.rows:
        at_scale(args.rows, settings)


if __name__ == "__main__":
    main()
