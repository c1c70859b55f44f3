"""A single-node Slurm cluster for tests, from Debian's slurm-wlm and munge: munged, slurmctld and
slurmd started in the foreground as child processes, with their key, socket, state, spool and logs
in one temporary folder, and stopped at the end. Client commands find it through SLURM_CONF."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
START_S = 60


def missing_programs() -> list[str]:
    """The cluster's programs that are not installed (apt-get install slurm-wlm munge)."""
    return [name for name in (*DAEMONS, "sbatch", "squeue", "scancel") if shutil.which(name) is None]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(folder: Path, cpus: int, memory_mb: int) -> str:
    return f"""ClusterName=harness-test
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={folder}/munge.socket
StateSaveLocation={folder}/state
SlurmdSpoolDir={folder}/spool
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/slurmd.pid
SlurmctldLogFile={folder}/slurmctld.log
SlurmdLogFile={folder}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
MinJobAge=3600
SlurmdTimeout=300
NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


@contextmanager
def slurm_cluster(folder: Path, cpus: int = 2, memory_mb: int = 8000) -> Iterator[dict[str, str]]:
    """Start the cluster; yields the environment its client commands need (SLURM_CONF)."""
    for name in ("state", "spool"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    key = folder / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    conf = folder / "slurm.conf"
    conf.write_text(_config(folder, cpus, memory_mb), encoding="utf-8")
    env = os.environ | {"SLURM_CONF": str(conf)}
    commands = [
        ["munged", "--foreground", "--force", f"--key-file={key}", f"--socket={folder}/munge.socket",
         f"--pid-file={folder}/munged.pid", f"--log-file={folder}/munged.log", f"--seed-file={folder}/munged.seed"],
        ["slurmctld", "-D", "-i", "-f", str(conf)],
        ["slurmd", "-D", "-N", "localhost", "-f", str(conf)],
    ]  # fmt: skip
    daemons: list[subprocess.Popen[bytes]] = []
    try:
        for command in commands:
            log = (folder / f"{command[0]}.out").open("wb")
            daemons.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env))
            time.sleep(1.0)
        _wait_for_idle_node(env, folder, daemons)
        yield env
    finally:
        for daemon in reversed(daemons):
            if daemon.poll() is None:
                daemon.send_signal(signal.SIGTERM)
        for daemon in reversed(daemons):
            try:
                daemon.wait(timeout=20)
            except subprocess.TimeoutExpired:
                daemon.kill()


def _wait_for_idle_node(env: dict[str, str], folder: Path, daemons: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        for daemon, name in zip(daemons, DAEMONS, strict=True):
            if daemon.poll() is not None:
                raise RuntimeError(
                    f"{name} exited: {(folder / f'{name}.out').read_text(errors='replace')[-2000:]}"
                )
        done = subprocess.run(["sinfo", "--noheader", "--format=%t"], capture_output=True, text=True, env=env)
        if done.returncode == 0 and done.stdout.strip() in ("idle", "mix", "alloc"):
            return
        time.sleep(1.0)
    raise RuntimeError(
        f"the node never became idle; slurmd log: {(folder / 'slurmd.log').read_text(errors='replace')[-2000:]}"
    )
