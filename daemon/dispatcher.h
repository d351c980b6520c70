/* SPDX-License-Identifier: MIT */
/*
 * dispatcher.h - the dispatcher's state, shared by its three files and
 * by nothing else: dispatch.c (the loop: connection, waiting, timers,
 * signals), lanes.c (the lanes' statements in flight), claim.c (what to
 * claim, handing claimed jobs out, taking their outcomes back) and
 * pending.c (the outcomes waiting to be recorded) and maintlane.c (the
 * maintenance connection).  The public entry point is dispatch.h.
 *
 * Wording: a slot is a worker thread; `running` counts the jobs handed to
 * the pool whose outcome has not come back yet.  `pending` holds outcomes
 * that came back and are not yet written to the database: they survive a
 * lost connection and are written after the reconnect (the fencing check
 * makes a late write safe).
 */
#ifndef PGJOB_DISPATCHER_H
#define PGJOB_DISPATCHER_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "config.h"
#include "exporter.h"
#include "handlers/handlers.h"
#include "job.h"
#include "maint.h"
#include "pool.h"

typedef enum ShutdownMode {
    SHUTDOWN_NONE,  /* running */
    SHUTDOWN_DRAIN, /* no more claims; jobs finish until the grace period ends */
    SHUTDOWN_FAST,  /* every job is stopped and handed back now */
} ShutdownMode;

/* TypeSlot counts the running jobs of one claimed type against its limit. */
typedef struct TypeSlot {
    const char *type; /* borrowed from the handler table */
    char *types;      /* limited type: the text[] literal naming it, for its claims */
    int limit;        /* 0: none */
    int running;
    int claiming;   /* asked for by claims in flight */
    int got;        /* rows of this type in the claim being handed out */
    bool saturated; /* its last claim filled it to the limit: more may wait */
    bool want;      /* limited type: worth a claim (see Dispatcher.want) */
    bool deep;      /* limited type: its last claim came back full */
} TypeSlot;

/* A lane is one connection with at most one statement in flight, sent
 * without waiting: a renewal of prefetched leases, a claim round or a
 * batch of outcomes.  Lane 0 is the main connection (it also LISTENs);
 * the others are connections opened on first use, that is under load.
 * Maintenance has a connection of its own (MaintLane).  With more than one lane PostgreSQL records
 * a batch or runs a second claim while a claim runs; the third covers the time a lane waits for the
 * workers between two statements (measured: at batch 10, two lanes reached 0.75 of the plain SQL
 * loop with 2 clients, three reached 1.1; more did not pay on 2 cores). */
#define LANES 3

typedef enum LaneWork {
    LANE_IDLE,
    LANE_CLAIM,  /* a claim round; its reservations are in want and slot_want */
    LANE_RECORD, /* a batch of outcomes, owned in batch */
    LANE_RENEW,  /* the renewal of the leases of prefetched jobs */
} LaneWork;

/* DISPATCH_WAIT_MS bounds every wait of the dispatcher for the database:
 * a statement it waits for (connection set-up, the handlers' data) and
 * the answer of a lane's statement; it is also the maintenance session's
 * statement_timeout.  A database that does not answer in
 * time is taken as lost (reconnect, with backoff), so the dispatcher keeps
 * its loop, and systemd's watchdog (WatchdogSec=30), alive through any
 * outage.  Connecting is bounded by connect_timeout (common/db.c). */
#define DISPATCH_WAIT_MS 10000

/* RECORD_BATCH_MAX is the upper bound of complete_batch (common/config.c). */
#define RECORD_BATCH_MAX 1000

/* RENEW_MAX: most leases one renewal statement renews; the others wait
 * for the next one, half a heartbeat period later. */
#define RENEW_MAX 256

typedef struct Lane {
    PGconn *conn;       /* lanes 1 and up: NULL until first used, or after a loss */
    long long retry_at; /* lanes 1 and up: when to try connecting again, monotonic ms */
    LaneWork work;
    long long sent_ms;                /* when the lane's statement was sent, monotonic ms */
    Outcome *batch[RECORD_BATCH_MAX]; /* LANE_RECORD: the outcomes being recorded */
    size_t nbatch;
    JobRef renew[RENEW_MAX]; /* LANE_RENEW: the leases being renewed */
    size_t nrenew;
    int want;       /* LANE_CLAIM: jobs asked for of the types without a limit */
    int *slot_want; /* LANE_CLAIM: jobs asked for per limited type, [nslots] */
} Lane;

/* MaintLane is the maintenance connection (maintlane.c): rescue, the
 * maintenance lock, expiry and pruning, one statement at a time, sent
 * without waiting.  It holds the maintenance lock when maintainer is set. */
typedef struct MaintLane {
    PGconn *conn;       /* NULL until opened, or after a loss */
    long long retry_at; /* when to try connecting again, monotonic ms */
    MaintStep step;     /* the statement in flight; MAINT_NONE: idle */
    MaintStep next;     /* the statement that follows at once; MAINT_NONE: the timers say */
    int round;          /* statements of this step in a row (MAINT_ROUNDS) */
    long long sent_ms;  /* when step was sent, monotonic ms */
    long handled;       /* rows step's answer handled */
    bool failed;        /* step's answer was an error */
} MaintLane;

/* Stats are the counters of the summary line and STATUS=. */
typedef struct Stats {
    long claimed, completed, retried, failed, released, lost;
    long rescued, rescue_requeued, rescue_failed, expired, pruned;
} Stats;

typedef struct Dispatcher {
    Config *cfg;
    const char *config_path;
    HandlerTable *handlers;
    TypeSlot *slots;
    size_t nslots;
    Pool *pool;
    int wake[2]; /* [0] read end, polled; [1] write end, for workers and signals */

    PGconn *conn;
    bool maintainer;        /* holds the maintenance lock on maint.conn */
    bool ready_sent;        /* READY=1 was sent */
    bool handlers_due;      /* handlers_load is due: at start and on SIGHUP */
    bool down_logged;       /* the database is known to be down */
    bool flush_first;       /* after a (re)connect: record held outcomes before rescuing */
    bool rescue_first;      /* after a (re)connect: claim nothing before the first rescue */
    long long reconnect_at; /* monotonic ms */
    int reconnect_delay_ms;

    int running;
    int claiming; /* jobs asked for by claims in flight */
    Outcome **pending;
    size_t npending, pending_cap;
    long long pending_since; /* when the oldest pending outcome came back */
    Lane lanes[LANES];
    MaintLane maint;

    /* Whether a claim is worth making, per claim group: the types without
     * a limit (here) and each limited type (in its slot).  A notification
     * naming the type, the poll interval, a rescue or a freed slot sets
     * want; a claim round clears it unless the group is deep, i.e. its
     * last claim came back full, so that while a queue is deep the next
     * claim starts before the last one is answered. */
    bool want, deep;
    char *unlimited_types; /* text[] literal of the types without a limit; NULL: none */
    unsigned claim_turn;   /* alternates which group a round serves first */
    unsigned limited_turn; /* the limited type a round starts with */
    long long next_poll, next_rescue, next_expire, next_prune, next_stats, next_watchdog;
    long long next_renew, next_lock;
    /* Leases whose renewal was cut off (its lane was lost): renewed again
     * first, at once, since they were marked renewed when it was sent. */
    JobRef renew_again[RENEW_MAX];
    size_t nrenew_again;
    long long watchdog_ms; /* a third of WATCHDOG_USEC; 0: off */

    ShutdownMode mode;
    bool aborted;          /* pool_abort was called */
    long long deadline;    /* end of the grace period, monotonic ms */
    char worker_name[128]; /* host:pid, recorded with each lease */
    Stats stats;
    Exporter *exporter; /* GET /metrics (metrics_listen); NULL: off */
} Dispatcher;

/* The files below depend on each other in one direction only:
 * pending.c <- claim.c <- lanes.c, maintlane.c <- dispatch.c.  Each exported name
 * carries its file's prefix. */

/* ---- pending.c ---- */

/* pending_add keeps o until it is written; false (o freed) on no memory. */
bool pending_add(Dispatcher *d, Outcome *o);

/* ---- claim.c ---- */

/* claim_want_all marks every claim group worth a claim; claim_want_type
 * the group of one type; claim_want_named the groups of the types a
 * pgjob_ready payload names (space-separated, or "*" for all). */
void claim_want_all(Dispatcher *d);
void claim_want_type(Dispatcher *d, TypeSlot *slot);
void claim_want_named(Dispatcher *d, const char *payload);

/* claim_init makes the slots of the handlers' types, with the text[]
 * literals their claims name (types do not change while the daemon
 * runs), and the lanes' reservations; claim_free undoes it. */
bool claim_init(Dispatcher *d, Error *err);
void claim_free(Dispatcher *d);

/* claim_slot_of returns the slot of a claimed type, or NULL. */
TypeSlot *claim_slot_of(Dispatcher *d, const char *type);

/* claim_due says whether a claim should be started now. */
bool claim_due(const Dispatcher *d);

typedef enum ClaimSend {
    CLAIM_NONE,        /* no claim group has room: nothing sent */
    CLAIM_SENT,        /* sent; the slots are reserved in the lane */
    CLAIM_SEND_FAILED, /* reserved but not sent: the connection broke */
} ClaimSend;

/* claim_send plans a claim round of the free slots into lane and sends
 * it on conn without waiting. */
ClaimSend claim_send(Dispatcher *d, Lane *lane, PGconn *conn);

/* claim_hand_out gives the rows of lane's claim to the pool; claim_end
 * gives back the lane's reservations. */
void claim_hand_out(Dispatcher *d, const Lane *lane, const PGresult *r);
void claim_end(Dispatcher *d, Lane *lane);

/* claim_cut_off marks the groups of lane's claim, which got no answer,
 * worth a claim again. */
void claim_cut_off(Dispatcher *d, const Lane *lane);

/* claim_take_outcomes takes the finished outcomes from the pool, gives
 * their slots back, and keeps them in pending until recorded. */
void claim_take_outcomes(Dispatcher *d);

/* ---- lanes.c ---- */

/* lane_idle says whether lane i could take a statement now (or after
 * connecting); lane_poll reads what has come of its statement;
 * lane_abandon ends its work without the answer; lane_settle waits for
 * its answer. */
bool lane_idle(const Dispatcher *d, int i);
void lane_poll(Dispatcher *d, int i);
void lane_abandon(Dispatcher *d, int i);
void lane_settle(Dispatcher *d, int i);

/* lane_start_work gives the free lanes work: a due renewal of prefetched
 * leases first, then outcomes, then claims. */
void lane_start_work(Dispatcher *d);

/* lane_drop_main closes the main connection after an error (lane 0's
 * work is abandoned) and schedules a reconnect; logged once per outage. */
void lane_drop_main(Dispatcher *d, const char *why);

/* ---- maintlane.c ---- */

/* maintlane_open opens the maintenance connection if it is closed, sets
 * it up and tries the maintenance lock, waiting for the answers: for the
 * dispatcher's own (re)connect.  A failure is logged and tried again
 * later. */
void maintlane_open(Dispatcher *d);

/* maintlane_start sends the maintenance statement whose turn it is, if
 * the connection is idle (opening it when it is due and closed);
 * maintlane_poll reads what has come of the one in flight. */
void maintlane_start(Dispatcher *d, long long now);
void maintlane_poll(Dispatcher *d);

/* maintlane_wakeup is when maintlane_start has something to send
 * (LLONG_MAX: nothing, or a statement is in flight: its socket wakes
 * the loop); maintlane_socket the socket to poll, or -1. */
long long maintlane_wakeup(const Dispatcher *d, long long now);
int maintlane_socket(const Dispatcher *d);

/* maintlane_close closes the maintenance connection (and gives up the
 * maintenance lock). */
void maintlane_close(Dispatcher *d);

#endif
