# Copyright: govcloud contributors
# Apache License 2.0 (see the project's license)
"""Ansible connection plugin: run tasks inside a govcloud lab host through ``nsenter``."""

from __future__ import annotations

import os
import shutil
import subprocess

from ansible.errors import AnsibleConnectionFailure, AnsibleError, AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

DOCUMENTATION = r"""
name: govcloud_nsenter
short_description: Run tasks inside a govcloud test host (network, mount and UTS namespaces)
description:
  - Runs commands inside a test host built by tests/support/labhosts.py on the controller machine.
  - Each such host has a long-lived holder process that owns the host's network, mount and UTS
    namespaces; the plugin enters all three with C(nsenter -t PID -n -m -u), so commands see the
    host's own writable root file system, hostname and network, never the controller's.
  - Files are copied through the holder's mount namespace (C(cat) run inside the host).
  - Commands run as root with a clean environment, as after a login; the remote user is ignored.
author:
  - govcloud contributors
options:
  holder_pid:
    description:
      - Process id of the holder process of the test host to run in.
    type: int
    required: true
    vars:
      - name: govcloud_holder_pid
  nsenter_path:
    description:
      - Path of the C(nsenter) program on the controller.
    type: str
    default: nsenter
    vars:
      - name: govcloud_nsenter_path
extends_documentation_fragment:
  - connection_pipelining
notes:
  - Needs root on the controller (entering namespaces).
  - Become without a password prompt works (commands already run as root).
  - Become password prompts are not supported.
"""

display = Display()

NODE_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "USER": "root",
    "LOGNAME": "root",
    "SHELL": "/bin/sh",
    "LANG": "C.UTF-8",
}


class Connection(ConnectionBase):
    """Local connection into a lab host's namespaces via nsenter."""

    transport = "govcloud_nsenter"
    has_pipelining = True
    has_tty = False
    default_user = "root"

    def _nsenter(self) -> list[str]:
        pid = self.get_option("holder_pid")
        if pid is None:
            raise AnsibleConnectionFailure("govcloud_nsenter needs govcloud_holder_pid")
        nsenter = self.get_option("nsenter_path") or "nsenter"
        return [nsenter, "-t", str(int(pid)), "-n", "-m", "-u", "--"]

    def _connect(self) -> Connection:
        if not self._connected:
            pid = int(self.get_option("holder_pid"))
            if not os.path.exists(f"/proc/{pid}/ns/mnt"):
                raise AnsibleConnectionFailure(
                    f"govcloud lab holder process {pid} is not running"
                )
            nsenter = self.get_option("nsenter_path") or "nsenter"
            if shutil.which(nsenter) is None:
                raise AnsibleConnectionFailure(
                    f"{nsenter} not found on the controller (util-linux)"
                )
            self._play_context.remote_user = self.default_user
            display.vvv(
                f"ESTABLISH GOVCLOUD_NSENTER CONNECTION TO HOLDER {pid}",
                host=self._play_context.remote_addr,
            )
            self._connected = True
        return self

    def exec_command(
        self, cmd: str, in_data: bytes | None = None, sudoable: bool = True
    ) -> tuple[int, bytes, bytes]:
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        argv = [*self._nsenter(), "/bin/sh", "-c", to_text(cmd)]
        display.vvv(f"EXEC {argv}", host=self._play_context.remote_addr)
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(NODE_ENV),
        )
        stdout, stderr = proc.communicate(in_data)
        return proc.returncode, stdout, stderr

    def put_file(self, in_path: str, out_path: str) -> None:
        super().put_file(in_path, out_path)
        display.vvv(f"PUT {in_path} TO {out_path}", host=self._play_context.remote_addr)
        b_in = to_bytes(in_path, errors="surrogate_or_strict")
        if not os.path.exists(b_in):
            raise AnsibleFileNotFound(f"file or module does not exist: {in_path}")
        argv = [*self._nsenter(), "/bin/sh", "-c", 'cat > "$1"', "put_file", out_path]
        with open(b_in, "rb") as src:
            proc = subprocess.run(
                argv, stdin=src, capture_output=True, env=dict(NODE_ENV), check=False
            )
        if proc.returncode != 0:
            raise AnsibleError(
                f"failed to transfer {in_path} to {out_path}: {to_text(proc.stderr).strip()}"
            )

    def fetch_file(self, in_path: str, out_path: str) -> None:
        super().fetch_file(in_path, out_path)
        display.vvv(
            f"FETCH {in_path} TO {out_path}", host=self._play_context.remote_addr
        )
        argv = [*self._nsenter(), "/bin/sh", "-c", 'cat -- "$1"', "fetch_file", in_path]
        b_out = to_bytes(out_path, errors="surrogate_or_strict")
        with open(b_out, "wb") as dst:
            proc = subprocess.run(
                argv,
                stdout=dst,
                stderr=subprocess.PIPE,
                env=dict(NODE_ENV),
                check=False,
            )
        if proc.returncode != 0:
            os.unlink(b_out)
            raise AnsibleFileNotFound(
                f"failed to fetch {in_path}: {to_text(proc.stderr).strip()}"
            )

    def reset(self) -> None:
        pass

    def close(self) -> None:
        self._connected = False
