/*
 * proc_costs.c - what creating processes and threads and waking a futex
 * sleeper cost on this machine: the source of the fork, thread and futex
 * figures in docs/scenario-language.md ("The cost model").  Not part of the
 * build:  cc -O2 -pthread -o /tmp/proc_costs bench/proc_costs.c && /tmp/proc_costs
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
static void *nop(void *a) { return a; }
static atomic_int word;
static double woke_at;
static void *sleeper(void *a) {
    (void)a;
    while (atomic_load(&word) == 0)
        syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    woke_at = now();
    return NULL;
}
/* getppid: a trivial syscall, the unit the others are compared with */
static double trivial_ns(void)
{
    enum { M = 100000 };
    double t0 = now();
    for (int i = 0; i < M; i++)
        syscall(SYS_getppid);
    return (now() - t0) / M;
}

int main(void) {
    enum { N = 300 };
    printf("trivial syscall (getppid) %.0f ns\n", trivial_ns());
    double t0, fork_ns = 0, fork_cost = 0, exec_ns = 0, thr = 0, thr_call = 0, wake_call = 0, wake_lat = 0;
    for (int i = 0; i < N; i++) {
        t0 = now(); pid_t p = fork(); if (p == 0) _exit(0);
        fork_cost += now() - t0; waitpid(p, NULL, 0); fork_ns += now() - t0;
    }
    for (int i = 0; i < N / 3; i++) {
        t0 = now(); pid_t p = fork();
        if (p == 0) { execl("/bin/true", "true", (char *)NULL); _exit(127); }
        waitpid(p, NULL, 0); exec_ns += now() - t0;
    }
    for (int i = 0; i < N; i++) {
        pthread_t t; t0 = now(); pthread_create(&t, NULL, nop, NULL); thr_call += now() - t0;
        pthread_join(t, NULL); thr += now() - t0;
    }
    for (int i = 0; i < N; i++) {
        pthread_t t; atomic_store(&word, 0); pthread_create(&t, NULL, sleeper, NULL);
        usleep(2000);
        atomic_store(&word, 1); t0 = now();
        syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        wake_call += now() - t0;
        pthread_join(t, NULL); wake_lat += woke_at - t0;
    }
    printf("fork() call %.1f us, fork+exit+wait %.1f us, fork+exec(/bin/true)+wait %.1f us\n",
           fork_cost / N / 1000, fork_ns / N / 1000, exec_ns / (N / 3) / 1000);
    /* vfork: the parent sleeps until the child execs or exits, and no
     * page table is copied (what CPython's spawn and forkserver start
     * with, through _posixsubprocess) */
    double vfork_ns = 0, py_ns = 0, py_min = 1e18;
    for (int i = 0; i < N; i++) {
        t0 = now(); pid_t p = vfork(); if (p == 0) _exit(0);
        waitpid(p, NULL, 0); vfork_ns += now() - t0;
    }
    /* a spawned child's interpreter: python3 started as multiprocessing's
     * spawn starts it, up to the point where it would read its task */
    enum { NPY = 20 };
    for (int i = 0; i < NPY; i++) {
        t0 = now(); pid_t p = vfork();
        if (p == 0) {
            execlp("python3", "python3", "-B", "-c",
                   "from multiprocessing.spawn import spawn_main", (char *)NULL);
            _exit(127);
        }
        waitpid(p, NULL, 0);
        double d = now() - t0;
        py_ns += d;
        if (d < py_min)
            py_min = d;
    }
    printf("vfork+exit+wait %.1f us; vfork+exec(python3 -B -c 'from "
           "multiprocessing.spawn import spawn_main')+wait %.1f ms (fastest "
           "%.1f ms)\n", vfork_ns / N / 1000, py_ns / NPY / 1e6, py_min / 1e6);
    printf("pthread_create call %.1f us, create+join %.1f us\n", thr_call / N / 1000, thr / N / 1000);
    printf("FUTEX_WAKE call with a sleeper %.1f us, wake-up latency %.1f us\n", wake_call / N / 1000, wake_lat / N / 1000);
    return 0;
}
