from __future__ import annotations

import pytest
import torch

from livestyle.render.devices import network_workers
from livestyle.render.heap import keep_freed_memory


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_files_get_two_workers_on_one_thread_each(two_threads):
    assert network_workers(torch.device("cpu")) == 2
    assert torch.get_num_threads() == 1


def test_live_sources_and_explicit_requests(two_threads):
    assert network_workers(torch.device("cpu"), live=True) == 1
    assert torch.get_num_threads() == 2
    assert network_workers(torch.device("cpu"), requested=1) == 1
    assert torch.get_num_threads() == 2
    with pytest.raises(ValueError, match="--workers"):
        network_workers(torch.device("cpu"), requested=-1)


def test_heap_settings_apply_with_glibc():
    import platform

    assert keep_freed_memory() == (platform.libc_ver()[0] == "glibc")


def test_streams_default_to_480_lines_on_a_cpu_and_native_on_a_gpu():
    from livestyle.render.devices import default_work_height

    assert default_work_height(torch.device("cpu")) == 480
    assert default_work_height(torch.device("cuda")) == 0  # a GPU paints 1080p strokes at 1080p
    assert default_work_height(torch.device("mps")) == 0
