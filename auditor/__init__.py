"""auditor: a metadata quality auditor for news aggregator output."""

import os

# GX would otherwise send usage analytics; the auditor runs in nightly jobs and
# offline, so it never phones home, whatever the user's shell says.
os.environ["GX_ANALYTICS_ENABLED"] = "false"

__version__ = "0.1.0"
