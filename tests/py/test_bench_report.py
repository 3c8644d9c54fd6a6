"""make bench's arithmetic and report, without measuring: the CPU quota for a
memory size (Lambda: one vCPU at 1,769 MB, https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html;
the kernel's 1 ms minimum CFS quota), the power-tuning cost and the memory
size it chooses, and what the report says when TLS or cgroups are missing."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))

import cpu_share  # noqa: E402
import report  # noqa: E402


def test_quota_is_the_memory_share_of_one_vcpu():
    assert cpu_share.quota_us(1769, 100_000) == 100_000
    assert cpu_share.quota_us(128, 100_000) == 7236  # 128 / 1769 of 100 ms


def test_short_period_is_stretched_to_the_kernel_minimum_quota_keeping_the_share():
    period = cpu_share.effective_period_us(128, 10_000)
    assert period == 13_821
    assert cpu_share.quota_us(128, period) == cpu_share.MIN_QUOTA_US
    assert cpu_share.effective_period_us(256, 10_000) == 10_000


def test_lambda_cost_is_requests_plus_gb_seconds():
    # 1 M requests × 0.125 GB × 10 ms = 1,250 GB-s.
    expected = 0.20 + 1250 * report.PRICES["lambda_gb_second_x86"]
    assert abs(report.lambda_cost_per_million(128, 10) - expected) < 1e-9


def text(section) -> str:
    return "\n".join(section)


def tuning(billed: dict[int, float], modes=("plain", "pinned", "platform"), first: dict | None = None) -> dict:
    """A power-tuning result: each function's mean billed ms per memory size."""
    period = "100000"
    warm = {period: {str(m): {f: {"billed_ms_mean": ms, "round_trip_ms": {"median": ms, "p99": ms}}
                              for f in report.FUNCTIONS} for m, ms in billed.items()}}
    first = first or {m: 10.0 for m in billed}
    cold = {period: {str(m): {f"{mode}/{f}": {"first_response_ms": {"median": first[m]},
                                              "init_ms": {"median": 2.0}}
                              for mode in modes for f in report.FUNCTIONS} for m in billed}}
    return {"cpu_control": "cgroup v1 cpu controller", "memory_sizes": list(billed), "periods_us": [100_000],
            "effective_periods_us": {period: {str(m): 100_000 for m in billed}}, "modes": list(modes),
            "mode_errors": {}, "warm": warm, "cold": cold, "starts": 1, "warm_invocations": 1,
            "warm_mode": "pinned", "failures": []}


def test_the_cheapest_memory_size_is_chosen():
    # CPU-bound until 512 MB: 512 MB × 10 ms is cheaper than 128 MB × 60 ms.
    chosen, _ = report.chosen_memory(tuning({128: 60, 256: 30, 512: 10, 1024: 10, 1769: 10}))
    assert chosen == 512


def test_a_size_within_the_tie_margin_goes_to_the_smaller():
    # 128 MB at 20 ms and 256 MB at 10 ms cost the same GB-seconds: the smaller wins.
    assert report.chosen_memory(tuning({128: 20, 256: 10, 512: 10}))[0] == 128


def test_first_response_target_reads_the_pinned_tls_runs():
    passing = tuning({128: 5, 1769: 5}, first={128: 14.0, 1769: 10.0})
    assert "**PASS**" in report.first_response_target({"tuning": passing})
    missing = tuning({128: 5, 1769: 5}, first={128: 16.0, 1769: 10.0})
    assert "**MISS**" in report.first_response_target({"tuning": missing})


def test_a_build_without_the_ca_bundle_is_reported_not_measured():
    t = tuning({128: 5, 1769: 5}, modes=("plain",))
    t["mode_errors"] = {"pinned": "rust/store-epoch-time: HTTP 503", "platform": "rust/store-epoch-time: HTTP 503"}
    row = report.first_response_target({"tuning": t})
    assert "**MISS**" in row and "AWS_CA_BUNDLE" in row
    assert "**pinned: not measured**" in text(report.power_tuning({"tuning": t}))


def test_no_cgroup_control_is_said_plainly():
    t = tuning({1769: 5})
    t.update(cpu_control=None, no_cpu_control_reason="no cgroup cpu controller mounted")
    assert "This machine offers no cgroup CPU control (no cgroup cpu controller mounted)" in text(
        report.power_tuning({"tuning": t}))


def test_a_reduced_run_is_marked_as_such():
    assert "Reduced run" in text(report.header({"settings": {"overrides": {"BENCH_STARTS": "3"}}}))
    assert "Reduced run" not in text(report.header({"settings": {"overrides": {}}}))


def test_every_section_renders_from_the_committed_report():
    import json

    with open(os.path.join(os.path.dirname(report.__file__), "report.json")) as f:
        rendered = report.render(json.load(f))
    for heading in ("## Targets", "## Cold start", "## Cost per million requests", "## Power tuning",
                    "## What this does not measure"):
        assert heading in rendered


def test_first_response_note_counts_the_waits_for_the_next_period():
    t = tuning({128: 5, 1769: 5})
    t.update(periods_us=[10_000], effective_periods_us={"10000": {"128": 13_821, "1769": 10_000}})
    t["cold"] = {"10000": {"128": {f"pinned/{f}": {"first_invoke_cpu_ms": {"median": 1.6}} for f in report.FUNCTIONS}}}
    note = report.first_response_note(t)
    # 1.6 ms of CPU against a 1 ms quota: one wait for the next 13.8 ms period.
    assert "1.60 ms of CPU against a 1.00 ms quota → 1 wait of up to 13.8 ms" in note
