/*
 * floor-client: the cheapest OCPP-J 1.6 client we know how to write, to measure what the kernel
 * and the wake-ups alone cost per call at a given connection count and call rate on this machine.
 *
 * One thread, one epoll, non-blocking sockets, no allocation after start-up. Each charge point
 * connects, upgrades to a WebSocket (subprotocol ocpp1.6), sends a BootNotification, and then
 * the whole fleet sends schema-valid CALLs (Heartbeat, StatusNotification, MeterValues,
 * Authorize, in turn) at --rate calls per second in total, batched on a 20 ms tick like
 * ocpp-fleet's timer wheel, at most one call outstanding per charge point (OCPP-J 1.6 §4.1.1).
 * It parses just enough of the answers to match them, answers pings and CSMS CALLs, and does no
 * OCPP logic, no JSON parsing, no bookkeeping beyond counters: a floor, not a simulator.
 *
 * It prints one JSON object: counts, the seconds from the first connection attempt (and from the
 * first BootNotification sent) to the last BootNotification accepted ("bootRampFromConnectSeconds",
 * "bootRampSeconds", for a boot burst: --ramp-up 0), and the calls completed in each wall-clock second
 * ("points": [{"time": unix_second, "sent": n}]), which benchmarks/fleet-bench reads like
 * ocpp-fleet's own series, measuring this process's CPU from outside, the same way.
 *
 * usage: floor-client --port P [--host 127.0.0.1] [--path /ocpp] [--charge-points N]
 *                     [--rate CALLS_PER_S] [--duration S] [--ramp-up S]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum { CONNECTING, UPGRADING, BOOTING, READY, DEAD };
enum { TICK_MS = 20, INBUF = 2048, MAX_SECONDS = 4096 };

struct cp {
    int fd;
    int state;
    int outstanding;      /* a CALL is waiting for its answer */
    uint32_t next_id;
    uint16_t have;        /* bytes kept in `in` */
    unsigned char in[INBUF];
};

static struct cp *cps;
static int n_cps = 1000, epfd;
static long completed_per_second[MAX_SECONDS];
static long start_second, connected, booted, errors, calls_sent, calls_errored, upgrade_failures;
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double first_connect, first_boot_sent, last_boot_accepted;

static double monotonic(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t next_random(void) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (uint32_t)rng;
}

static long now_second(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec;
}

/* One masked text frame around `payload`, written in one write(2). */
static void send_text(struct cp *cp, const char *payload, size_t length) {
    unsigned char frame[1024 + 14];
    size_t header = 2;
    if (length > 1024) { errors++; return; }
    frame[0] = 0x81;
    if (length < 126) {
        frame[1] = 0x80 | (unsigned char)length;
    } else {
        frame[1] = 0x80 | 126;
        frame[2] = (unsigned char)(length >> 8);
        frame[3] = (unsigned char)length;
        header = 4;
    }
    uint32_t mask = next_random();
    memcpy(frame + header, &mask, 4);
    const unsigned char *key = frame + header;
    header += 4;
    for (size_t i = 0; i < length; i++) frame[header + i] = (unsigned char)payload[i] ^ key[i & 3];
    ssize_t written = write(cp->fd, frame, header + length);
    if (written != (ssize_t)(header + length)) errors++;
}

static void send_control(struct cp *cp, unsigned char opcode, const unsigned char *data, size_t length) {
    unsigned char frame[2 + 4 + 125];
    if (length > 125) length = 125;
    frame[0] = 0x80 | opcode;
    frame[1] = 0x80 | (unsigned char)length;
    uint32_t mask = next_random();
    memcpy(frame + 2, &mask, 4);
    for (size_t i = 0; i < length; i++) frame[6 + i] = data[i] ^ frame[2 + (i & 3)];
    if (write(cp->fd, frame, 6 + length) != (ssize_t)(6 + length)) errors++;
}

static char timestamp[32];

static void send_call(struct cp *cp, int kind) {
    char payload[512];
    int index = (int)(cp - cps);
    uint32_t id = cp->next_id++;
    int length;
    switch (kind) {
    case 0:
        length = snprintf(payload, sizeof payload,
                          "[2,\"%u\",\"BootNotification\",{\"chargePointVendor\":\"ocpp-fleet\","
                          "\"chargePointModel\":\"Floor-1\",\"firmwareVersion\":\"1.0.0\"}]", id);
        break;
    case 1:
        length = snprintf(payload, sizeof payload, "[2,\"%u\",\"Heartbeat\",{}]", id);
        break;
    case 2:
        length = snprintf(payload, sizeof payload,
                          "[2,\"%u\",\"StatusNotification\",{\"connectorId\":1,\"errorCode\":\"NoError\","
                          "\"status\":\"Available\",\"timestamp\":\"%s\"}]", id, timestamp);
        break;
    case 3:
        length = snprintf(payload, sizeof payload,
                          "[2,\"%u\",\"MeterValues\",{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"%s\","
                          "\"sampledValue\":[{\"value\":\"%u\",\"measurand\":\"Energy.Active.Import.Register\","
                          "\"unit\":\"Wh\"},{\"value\":\"7400\",\"measurand\":\"Power.Active.Import\",\"unit\":\"W\"}]}]}]",
                          id, timestamp, id * 37u);
        break;
    default:
        length = snprintf(payload, sizeof payload, "[2,\"%u\",\"Authorize\",{\"idTag\":\"FLOOR-%05d\"}]", id, index);
        break;
    }
    cp->outstanding = 1;
    if (kind != 0) calls_sent++;
    else if (first_boot_sent == 0) first_boot_sent = monotonic();
    send_text(cp, payload, (size_t)length);
}

static void close_cp(struct cp *cp) {
    if (cp->fd >= 0) close(cp->fd);
    cp->fd = -1;
    cp->state = DEAD;
}

/* A text message from the CSMS: an answer to our CALL (3 or 4) or a CALL of its own (2). */
static void received_text(struct cp *cp, const unsigned char *text, size_t length) {
    size_t i = 0;
    while (i < length && (text[i] == '[' || text[i] == ' ')) i++;
    if (i >= length) return;
    char type = (char)text[i];
    if (type == '2') {
        /* Answer any CSMS CALL with an empty payload: the benchmark's CSMS sends none. */
        const unsigned char *quote = memchr(text + i, '"', length - i);
        const unsigned char *end = quote ? memchr(quote + 1, '"', length - (size_t)(quote + 1 - text)) : NULL;
        if (!end) return;
        char answer[128];
        int n = snprintf(answer, sizeof answer, "[3,\"%.*s\",{}]", (int)(end - quote - 1), (const char *)quote + 1);
        send_text(cp, answer, (size_t)n);
        return;
    }
    if (type != '3' && type != '4') return;
    cp->outstanding = 0;
    if (cp->state == BOOTING) {
        if (type == '3' && memmem(text, length, "\"Accepted\"", 10)) {
            cp->state = READY;
            booted++;
            last_boot_accepted = monotonic();
        } else {
            errors++;
        }
        return;
    }
    if (type == '4') { calls_errored++; return; }
    long second = now_second() - start_second;
    if (second >= 0 && second < MAX_SECONDS) completed_per_second[second]++;
}

/* WebSocket frames from the server (unmasked); keeps an incomplete frame for the next read. */
static void parse_frames(struct cp *cp) {
    size_t offset = 0;
    while (cp->have - offset >= 2) {
        unsigned char *frame = cp->in + offset;
        size_t length = frame[1] & 0x7F, header = 2;
        if (length == 126) {
            if (cp->have - offset < 4) break;
            length = (size_t)frame[2] << 8 | frame[3];
            header = 4;
        } else if (length == 127) {
            errors++; close_cp(cp); return;
        }
        if (cp->have - offset < header + length) break;
        unsigned char opcode = frame[0] & 0x0F;
        if (opcode == 0x1) received_text(cp, frame + header, length);
        else if (opcode == 0x9) send_control(cp, 0xA, frame + header, length);
        else if (opcode == 0x8) { close_cp(cp); return; }
        offset += header + length;
    }
    if (offset > 0) {
        memmove(cp->in, cp->in + offset, cp->have - offset);
        cp->have = (uint16_t)(cp->have - offset);
    }
    if (cp->have == INBUF) { errors++; close_cp(cp); }
}

static void readable(struct cp *cp) {
    ssize_t n = read(cp->fd, cp->in + cp->have, INBUF - cp->have);
    if (n <= 0) {
        if (n < 0 && errno == EAGAIN) return;
        close_cp(cp);
        return;
    }
    cp->have = (uint16_t)(cp->have + n);
    if (cp->state == UPGRADING) {
        unsigned char *end = memmem(cp->in, cp->have, "\r\n\r\n", 4);
        if (!end) return;
        if (cp->have < 12 || memcmp(cp->in + 9, "101", 3) != 0 || !memmem(cp->in, (size_t)(end - cp->in), "ocpp1.6", 7)) {
            upgrade_failures++;
            close_cp(cp);
            return;
        }
        size_t head = (size_t)(end + 4 - cp->in);
        memmove(cp->in, cp->in + head, cp->have - head);
        cp->have = (uint16_t)(cp->have - head);
        cp->state = BOOTING;
        send_call(cp, 0);
    }
    parse_frames(cp);
}

static const char *host = "127.0.0.1", *path = "/ocpp";
static int port;

static void start_connect(struct cp *cp, struct sockaddr_in *address) {
    if (first_connect == 0) first_connect = monotonic();
    cp->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (cp->fd < 0) { errors++; cp->state = DEAD; return; }
    int one = 1;
    setsockopt(cp->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    cp->state = CONNECTING;
    if (connect(cp->fd, (struct sockaddr *)address, sizeof *address) < 0 && errno != EINPROGRESS) {
        errors++; close_cp(cp); return;
    }
    struct epoll_event event = {.events = EPOLLOUT, .data.ptr = cp};
    epoll_ctl(epfd, EPOLL_CTL_ADD, cp->fd, &event);
}

static void connected_now(struct cp *cp) {
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(cp->fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error) { errors++; close_cp(cp); return; }
    connected++;
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = cp};
    epoll_ctl(epfd, EPOLL_CTL_MOD, cp->fd, &event);
    char request[512];
    unsigned char key[16];
    for (int i = 0; i < 16; i++) key[i] = (unsigned char)next_random();
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char encoded[25];
    for (int i = 0, j = 0; i < 15; i += 3) {
        uint32_t v = (uint32_t)key[i] << 16 | (uint32_t)key[i + 1] << 8 | key[i + 2];
        encoded[j++] = alphabet[v >> 18 & 63]; encoded[j++] = alphabet[v >> 12 & 63];
        encoded[j++] = alphabet[v >> 6 & 63]; encoded[j++] = alphabet[v & 63];
    }
    uint32_t last = (uint32_t)key[15] << 16;
    encoded[20] = alphabet[last >> 18 & 63]; encoded[21] = alphabet[last >> 12 & 63];
    encoded[22] = '='; encoded[23] = '='; encoded[24] = 0;
    int n = snprintf(request, sizeof request,
                     "GET %s/FLOOR-%05d HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n",
                     path, (int)(cp - cps), host, port, encoded);
    cp->state = UPGRADING;
    if (write(cp->fd, request, (size_t)n) != n) { errors++; close_cp(cp); }
}

int main(int argc, char **argv) {
    double rate = 100, duration = 30, ramp_up = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--host")) host = argv[i + 1];
        else if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--path")) path = argv[i + 1];
        else if (!strcmp(argv[i], "--charge-points")) n_cps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rate")) rate = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--duration")) duration = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--ramp-up")) ramp_up = atof(argv[i + 1]);
        else { fprintf(stderr, "floor-client: unknown option %s\n", argv[i]); return 2; }
    }
    if (port <= 0 || n_cps <= 0) { fprintf(stderr, "floor-client: --port and --charge-points required\n"); return 2; }
    cps = calloc((size_t)n_cps, sizeof *cps);
    for (int i = 0; i < n_cps; i++) { cps[i].fd = -1; cps[i].state = DEAD; cps[i].next_id = 1; }
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &address.sin_addr);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    int tick = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct itimerspec period = {.it_interval = {0, TICK_MS * 1000000L}, .it_value = {0, TICK_MS * 1000000L}};
    timerfd_settime(tick, 0, &period, NULL);
    struct epoll_event tick_event = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(epfd, EPOLL_CTL_ADD, tick, &tick_event);

    start_second = now_second();
    long ticks_total = (long)(duration * 1000 / TICK_MS), ramp_ticks = (long)(ramp_up * 1000 / TICK_MS);
    int started = 0, cursor = 0, kind = 1;
    double owed = 0;
    struct epoll_event events[256];
    for (long ticks = 0; ticks < ticks_total;) {
        int ready = epoll_wait(epfd, events, 256, -1);
        for (int e = 0; e < ready; e++) {
            struct cp *cp = events[e].data.ptr;
            if (cp == NULL) {
                uint64_t expirations;
                if (read(tick, &expirations, sizeof expirations) != sizeof expirations) continue;
                ticks += (long)expirations;
                time_t wall = time(NULL);
                strftime(timestamp, sizeof timestamp, "%Y-%m-%dT%H:%M:%SZ", gmtime(&wall));
                int due = ramp_ticks > 0 ? (int)((long)n_cps * (ticks < ramp_ticks ? ticks : ramp_ticks) / ramp_ticks) : n_cps;
                while (started < due && started < n_cps) start_connect(&cps[started++], &address);
                owed += rate * TICK_MS / 1000.0 * (double)expirations;
                /* Round robin over the charge points that are booted and have no call outstanding. */
                for (int scanned = 0; owed >= 1 && scanned < n_cps; scanned++) {
                    struct cp *next = &cps[cursor];
                    cursor = (cursor + 1) % n_cps;
                    if (next->state != READY || next->outstanding) continue;
                    send_call(next, kind);
                    kind = kind % 4 + 1;
                    owed -= 1;
                }
                if (owed > rate) owed = rate;  /* not enough idle charge points: do not build a backlog */
                continue;
            }
            if (cp->state == DEAD) continue;
            if (cp->state == CONNECTING) connected_now(cp);
            else if (events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) readable(cp);
        }
    }
    long last = now_second() - start_second;
    printf("{\"chargePoints\":%d,\"connected\":%ld,\"bootAccepted\":%ld,\"callsSent\":%ld,\"callErrors\":%ld,"
           "\"upgradeFailures\":%ld,\"errors\":%ld,\"bootRampSeconds\":%.6f,\"bootRampFromConnectSeconds\":%.6f,\"points\":[",
           n_cps, connected, booted, calls_sent, calls_errored, upgrade_failures, errors,
           booted ? last_boot_accepted - first_boot_sent : 0.0, booted ? last_boot_accepted - first_connect : 0.0);
    for (long s = 0; s <= last && s < MAX_SECONDS; s++)
        printf("%s{\"time\":%ld,\"sent\":%ld}", s ? "," : "", start_second + s, completed_per_second[s]);
    printf("]}\n");
    for (int i = 0; i < n_cps; i++) if (cps[i].fd >= 0) close(cps[i].fd);
    return 0;
}
