"""The program scenarios/gui-events.scn models: a GUI's event loop.

One thread: a table of handlers by event kind, a queue of events, and a
loop that waits for the input device, reads every event it holds into the
queue, then dispatches them one by one.  A slow on_click lets the user's
next actions pile up in the device meanwhile.  No tkinter: Tk's mainloop
(Tcl_DoOneEvent) is this loop, over the X server's socket instead of evdev.

Run it under strace:
    strace -f -tt -T python3 scenarios/py/gui-events.py

Differences from the scenario:
  - The device is a pipe here (opening /dev/input/event0 needs the input
    group and a real device); the records written into it are the
    kernel's struct input_event, 24 bytes: EV_KEY, the button or key code,
    value 1.  A real device sends a press, a release and an EV_SYN each.
  - The user is a thread of this process (in the scenario, a peer outside
    the machine); its writes show in strace, the user's actions do not.
  - The user thread needs the GIL, which on_click's busy loop holds (it is
    handed over every 5 ms at best, sys.setswitchinterval): its actions
    come a few ms later than the scenario's user, another process, makes
    them.
  - Python's epoll.poll() makes epoll_wait with maxevents = FD_SETSIZE - 1
    (1023); the scenario's maxevents is 64.  The pipe is made non-blocking
    with fcntl (os.set_blocking), as the scenario does the device.
"""
import collections
import os
import select
import struct
import threading
import time

EV_KEY, BTN_LEFT = 1, 0x110
EVENT = struct.Struct("llHHi")           # struct input_event: 24 bytes


def compute(seconds):                    # CPU work, as the scenario's compute
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def on_click(button):
    compute(0.040)                       # slow: the loop reads nothing meanwhile


def on_key(code):
    compute(0.001)


handlers = {"click": on_click, "key": on_key}   # on click on_click ...
dev_r, dev_w = os.pipe()                 # stands for /dev/input/event0
os.set_blocking(dev_r, False)


def user():                              # the user at the mouse and keyboard
    def act(code):
        os.write(dev_w, EVENT.pack(0, 0, EV_KEY, code, 1))
    time.sleep(0.010); act(BTN_LEFT)
    time.sleep(0.008); act(30)
    time.sleep(0.008); act(31)
    time.sleep(0.008); act(BTN_LEFT)
    time.sleep(0.008); act(32)


threading.Thread(target=user).start()
ep = select.epoll()
ep.register(dev_r, select.EPOLLIN)
queue = collections.deque()              # the program's event queue
handled = 0
while handled < 5:
    ep.poll()                            # sleep until the device has events
    while True:                          # read all of them into the queue
        try:
            rec = os.read(dev_r, EVENT.size)
        except BlockingIOError:
            break
        _, _, _, code, _ = EVENT.unpack(rec)
        if BTN_LEFT <= code < BTN_LEFT + 16:
            queue.append(("click", code - BTN_LEFT + 1))
        else:
            queue.append(("key", code))
    while queue:                         # then dispatch them one by one
        kind, value = queue.popleft()
        handlers[kind](value)
        handled += 1
