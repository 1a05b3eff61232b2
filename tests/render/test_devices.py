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
