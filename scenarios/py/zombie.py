"""zombie: a child's exit status waits for its parent (scenarios/zombie.scn).

Run it under strace -f: worker's exit_group(3), the SIGCHLD the shell is
sent (ignored: its default action; strace shows it because a traced
process is told of every signal), worker as <defunct> in ps until the
shell's wait4(pid, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL)
returns its pid, and sleeper adopted by init once the shell has exited
(on a desktop, by the nearest subreaper instead: systemd --user).
"""
import os
import subprocess
import time

worker = os.fork()
if worker == 0:
    t = time.process_time()
    while time.process_time() - t < 0.001:  # compute for 1 ms
        pass
    os._exit(3)
sleeper = os.fork()
if sleeper == 0:
    time.sleep(0.5)  # the scenario's 20 ms, made longer than ps takes
    print("sleeper's parent is now pid", os.getppid())
    os._exit(4)
time.sleep(0.005)
state = subprocess.run(["ps", "-o", "stat=,comm=", str(worker)],
                       capture_output=True, text=True).stdout.strip()
print("worker before wait:", state)  # Z ... <defunct>
pid, status = os.waitpid(worker, 0)
print("wait4 returned", pid, "status", os.waitstatus_to_exitcode(status))
os._exit(0)
