"""The demo's watchdog tells a demo that released it from a demo that died."""

from __future__ import annotations

import os
import signal
import subprocess

from supplystream_app.demo.watchdog import RELEASED, wait_for_parent


def test_a_released_pipe_means_the_demo_stopped_everything_itself() -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, RELEASED)
    os.close(write_fd)
    assert wait_for_parent(read_fd) is True


def test_a_pipe_closed_by_a_killed_holder_means_the_demo_died() -> None:
    read_fd, write_fd = os.pipe()
    holder = subprocess.Popen(["sleep", "60"], pass_fds=(write_fd,))
    os.close(write_fd)  # only the holder has the write end now, as only the demo does
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert wait_for_parent(read_fd) is False


def test_anything_but_the_release_word_is_not_a_release() -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, RELEASED[:3])
    os.close(write_fd)
    assert wait_for_parent(read_fd) is False
