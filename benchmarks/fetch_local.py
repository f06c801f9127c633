"""Fetch throughput against a local news site: one RSS feed listing N pages spread over H host names.

    .venv/bin/python benchmarks/fetch_local.py [--pages 200] [--hosts 4] [--delay 0.0] [--executor inprocess]

Every host name resolves to 127.0.0.1 through the fetcher's resolver seam (no network, no DNS). Runs the
same fetch with one page at a time and with ``parallel_hosts`` pages at once, and prints pages per
second; with ``--delay`` above zero the per-host delay, not extraction, sets the pace. Run on demand; it
is not part of ``make test``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.fetch_site import STORIES, NewsSite, story_html

from copydesk import service
from copydesk.config import load_settings
from copydesk.ingest.fetch import Fetcher
from copydesk.ingest.fetch_policy import FetchPolicy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--delay", type=float, default=0.0, help="per-host delay in seconds")
    parser.add_argument("--executor", default="inprocess", help="inprocess, local or ray")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    site = NewsSite().start()
    hosts = [f"h{i}.example" for i in range(args.hosts)]
    keys = list(STORIES)
    items = []
    for n in range(args.pages):
        key = keys[n % len(keys)]
        path = f"/news/{key}-{n}"
        site.add(path, story_html(key).replace("</article>", f"<p>Edition {n} of the day.</p></article>"))
        link = f"http://{hosts[n % len(hosts)]}:{site.port}{path}"
        items.append(f"<item><title>Item {n}</title><link>{link}</link></item>")
    channel = f"<channel><title>Bench</title>{''.join(items)}</channel>"
    site.add("/feed.xml", f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>', "application/rss+xml")
    feed = f"http://{hosts[0]}:{site.port}/feed.xml"
    try:
        for parallel in (1, FetchPolicy().parallel_hosts):
            settings = load_settings(
                {"db": Path(tempfile.mkdtemp()) / "bench.db", "workers": args.workers}, environ={}
            )
            policy = FetchPolicy(per_host_delay=args.delay, allow_private=True, parallel_hosts=parallel)
            start = time.perf_counter()
            with Fetcher(policy, resolver=lambda host, port: ["127.0.0.1"]) as fetcher:
                report = service.fetch([feed], settings, executor=args.executor, fetcher=fetcher)
            took = time.perf_counter() - start
            print(
                f"parallel_hosts={parallel} executor={args.executor} delay={args.delay}: "
                f"{report.ingest.stored} stored, {len(report.ingest.skipped)} skipped in {took:.2f}s "
                f"= {report.pages_fetched / took:.1f} pages/s"
            )
    finally:
        site.stop()


if __name__ == "__main__":
    main()
