/*
 * teep-agent: the TEEP Broker and Agent of a simulated TEE.
 *
 *   teep-agent init --store DIR [...]       create the device identity
 *   teep-agent show --store DIR [--json]    print identity and components
 *   teep-agent --tam URL --store DIR [...]  run one session (or --daemon)
 *
 * docs/agent.md is the user guide.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "coap_client.h"
#include "http_client.h"
#include "log.h"

/* Largest TAM reply accepted: an Update with several manifests. */
#define MAX_REPLY (32u * 1024u * 1024u)

/* Default seconds between sessions of --daemon. */
#define DEFAULT_INTERVAL 60

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void print_usage(FILE *out)
{
    fprintf(out,
        "usage: teep-agent init --store DIR [--alg ALG]... [--attest-alg ALG]\n"
        "                       [--ueid HEX] [--oemid HEX] [--hwmodel TEXT]\n"
        "                       [--hwversion TEXT] [--vendor-id UUID]\n"
        "                       [--class-id UUID] [--json]\n"
        "       teep-agent show --store DIR [--json]\n"
        "       teep-agent --tam URL --store DIR [--tam-key PUB]...\n"
        "                  [--signer-key PUB]... [--delegation-anchor PUB]...\n"
        "                  [--decrypt-key KEY]...\n"
        "                  [--fetch-dir DIR]...\n"
        "                  [--request ID]... [--unrequest ID]...\n"
        "                  [--daemon [--interval S]] [--timeout S]\n"
        "                  [--retries N] [--accept-teep-cose]\n"
        "                  [--log-level LEVEL]\n"
        "       teep-agent --help | --version\n"
        "\n"
        "init creates the device identity in DIR and prints what to register\n"
        "at the TAM. The run form talks to the TAM at URL (http://, https://\n"
        "or coap://): one session, or one every S seconds with --daemon.\n"
        "\n"
        "  --alg ALG         agent key algorithm, once per cipher suite:\n"
        "                    ESP256 (or ES256) and Ed25519 (or EdDSA);\n"
        "                    default both ESP256 and Ed25519\n"
        "  --attest-alg ALG  attestation key algorithm (default ESP256)\n"
        "  --ueid HEX        device id, 7 to 33 bytes (default: random)\n"
        "  --oemid HEX       OEM id, 3 or 16 bytes (default: random 16)\n"
        "  --hwmodel TEXT    hardware model, 1 to 32 bytes (default\n"
        "                    teepkit-simulated-tee)\n"
        "  --hwversion TEXT  hardware version (default 1.0)\n"
        "  --vendor-id UUID  vendor id that manifests must check\n"
        "  --class-id UUID   class id that manifests must check\n"
        "  --tam-key PUB     public key (PEM or COSE_Key) of the TAM\n"
        "  --signer-key PUB  public key of a Trusted Component signer\n"
        "  --delegation-anchor PUB  public key that may sign the first CWT\n"
        "                    of a manifest's delegation chain\n"
        "  --decrypt-key KEY key that unwraps encrypted payloads: AES-KW\n"
        "                    (COSE_Key), or a private P-256 or X25519 key\n"
        "  --fetch-dir DIR   folder that file: URIs of manifests may name\n"
        "  --request ID      ask the TAM to install component ID\n"
        "  --unrequest ID    tell the TAM that component ID is not needed\n"
        "  --interval S      seconds between sessions (default %d)\n"
        "  --timeout S       limit on one exchange with the TAM (default 60)\n"
        "  --retries N       times a message is sent again after a failure\n"
        "                    that may pass, 0 to %d (default %d)\n"
        "  --accept-teep-cose  accept replies typed application/teep+cose\n"
        "  --log-level LEVEL debug, info (default), warn, error or off\n"
        "\n"
        "ID is a JSON list of segments ('[\"TEEP-Device\", {\"hex\": "
        "\"8d82\"}]'),\n"
        "hex: and the CBOR encoding, or the store name (c_sTEEP-Device_h8d82).\n"
        "\n"
        "Exit status: 0 success, 1 internal error, 2 usage, 3 store or key\n"
        "file, 4 transport, 5 TAM message rejected, 6 negotiation failed,\n"
        "7 manifest or deletion failed, 8 the TAM reported an error, 9 the\n"
        "session did not end properly.\n",
        DEFAULT_INTERVAL, TK_AGENT_MAX_RETRIES, TK_AGENT_RETRIES);
}

/* Options of every form. */
struct options {
    const char *command; /* "init", "show" or "run" */
    const char *store;
    const char *tam;
    const char *tam_keys[TK_AGENT_MAX_TRUSTED];
    size_t tam_key_count;
    const char *signer_keys[TK_AGENT_MAX_TRUSTED];
    size_t signer_key_count;
    const char *delegation_keys[TK_AGENT_MAX_TRUSTED];
    size_t delegation_key_count;
    const char *decrypt_keys[TK_AGENT_MAX_TRUSTED];
    size_t decrypt_key_count;
    const char *fetch_dirs[TK_AGENT_MAX_FETCH_DIRS];
    size_t fetch_dir_count;
    const char *requests[TK_AGENT_MAX_REQUESTS];
    size_t request_count;
    const char *unrequests[TK_AGENT_MAX_REQUESTS];
    size_t unrequest_count;
    bool daemon;
    long interval;
    long timeout;
    long retries;
    bool accept_teep_cose;
    bool json;
    tk_agent_init_options init;
};

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "teep-agent: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nRun `teep-agent --help` for the options.\n");
    return TK_AGENT_EXIT_USAGE;
}

/* Appends value to list (capacity cap) for option name. */
static int add_value(const char **list, size_t *count, size_t cap,
                     const char *name, const char *value)
{
    if (*count == cap)
        return usage_error("too many %s options", name);
    list[(*count)++] = value;
    return 0;
}

/* Parses a number of seconds in [1, 86400 * 365]. */
static int parse_seconds(const char *name, const char *text, long *out)
{
    char *end;

    errno = 0;
    *out = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || end == text || *out < 1 ||
        *out > 86400L * 365)
        return usage_error("%s needs a number of seconds", name);
    return 0;
}

/* Parses the number of retries, 0 to TK_AGENT_MAX_RETRIES. */
static int parse_retries(const char *text, long *out)
{
    char *end;

    errno = 0;
    *out = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || end == text || *out < 0 ||
        *out > TK_AGENT_MAX_RETRIES) {
        fprintf(stderr, "teep-agent: --retries needs a whole number from 0 "
                "to %d, not '%s'\nRun `teep-agent --help` for the "
                "options.\n", TK_AGENT_MAX_RETRIES, text);
        return TK_AGENT_EXIT_USAGE;
    }
    return 0;
}

/* Handles one option of init. */
static int init_option(struct options *o, int opt, const char *arg)
{
    tk_agent_init_options *in = &o->init;
    tk_alg alg;

    switch (opt) {
    case 'a':
        alg = tk_agent_alg_parse(arg);
        if (alg == TK_ALG_NONE)
            return usage_error("unknown --alg '%s'", arg);
        if (in->alg_count == TK_AGENT_MAX_KEYS)
            return usage_error("%s: too many --alg options", arg);
        in->algs[in->alg_count++] = alg;
        return 0;
    case 'A':
        in->attest_alg = tk_agent_alg_parse(arg);
        if (in->attest_alg == TK_ALG_NONE)
            return usage_error("unknown --attest-alg '%s'", arg);
        return 0;
    case 'u':
        in->ueid_hex = arg;
        return 0;
    case 'o':
        in->oemid_hex = arg;
        return 0;
    case 'm':
        in->hwmodel = arg;
        return 0;
    case 'v':
        in->hwversion = arg;
        return 0;
    case 'V':
        in->vendor_id = arg;
        return 0;
    case 'C':
        in->class_id = arg;
        return 0;
    default:
        return -1;
    }
}

/* Handles one option of the run form. */
static int run_option(struct options *o, int opt, const char *arg)
{
    switch (opt) {
    case 't':
        o->tam = arg;
        return 0;
    case 'k':
        return add_value(o->tam_keys, &o->tam_key_count, TK_AGENT_MAX_TRUSTED,
                         "--tam-key", arg);
    case 'K':
        return add_value(o->signer_keys, &o->signer_key_count,
                         TK_AGENT_MAX_TRUSTED, "--signer-key", arg);
    case 'g':
        return add_value(o->delegation_keys, &o->delegation_key_count,
                         TK_AGENT_MAX_TRUSTED, "--delegation-anchor", arg);
    case 'D':
        return add_value(o->decrypt_keys, &o->decrypt_key_count,
                         TK_AGENT_MAX_TRUSTED, "--decrypt-key", arg);
    case 'f':
        return add_value(o->fetch_dirs, &o->fetch_dir_count,
                         TK_AGENT_MAX_FETCH_DIRS, "--fetch-dir", arg);
    case 'r':
        return add_value(o->requests, &o->request_count,
                         TK_AGENT_MAX_REQUESTS, "--request", arg);
    case 'R':
        return add_value(o->unrequests, &o->unrequest_count,
                         TK_AGENT_MAX_REQUESTS, "--unrequest", arg);
    case 'd':
        o->daemon = true;
        return 0;
    case 'i':
        return parse_seconds("--interval", arg, &o->interval);
    case 'T':
        return parse_seconds("--timeout", arg, &o->timeout);
    case 'n':
        return parse_retries(arg, &o->retries);
    case 'c':
        o->accept_teep_cose = true;
        return 0;
    default:
        return -1;
    }
}

/* Parses argv into o. Returns 0, -1 after --help, or an exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'},
        {"alg", required_argument, NULL, 'a'},
        {"attest-alg", required_argument, NULL, 'A'},
        {"ueid", required_argument, NULL, 'u'},
        {"oemid", required_argument, NULL, 'o'},
        {"hwmodel", required_argument, NULL, 'm'},
        {"hwversion", required_argument, NULL, 'v'},
        {"vendor-id", required_argument, NULL, 'V'},
        {"class-id", required_argument, NULL, 'C'},
        {"json", no_argument, NULL, 'j'},
        {"tam", required_argument, NULL, 't'},
        {"tam-key", required_argument, NULL, 'k'},
        {"signer-key", required_argument, NULL, 'K'},
        {"delegation-anchor", required_argument, NULL, 'g'},
        {"decrypt-key", required_argument, NULL, 'D'},
        {"fetch-dir", required_argument, NULL, 'f'},
        {"request", required_argument, NULL, 'r'},
        {"unrequest", required_argument, NULL, 'R'},
        {"daemon", no_argument, NULL, 'd'},
        {"interval", required_argument, NULL, 'i'},
        {"timeout", required_argument, NULL, 'T'},
        {"retries", required_argument, NULL, 'n'},
        {"accept-teep-cose", no_argument, NULL, 'c'},
        {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'W'},
        {NULL, 0, NULL, 0},
    };
    int first = 1;
    int opt;

    memset(o, 0, sizeof(*o));
    o->interval = DEFAULT_INTERVAL;
    o->timeout = 60;
    o->retries = TK_AGENT_RETRIES;
    o->command = "run";
    if (argc > 1 && (strcmp(argv[1], "init") == 0 ||
                     strcmp(argv[1], "show") == 0 ||
                     strcmp(argv[1], "run") == 0)) {
        o->command = argv[1];
        first = 2;
    }
    optind = first;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        bool init = strcmp(o->command, "init") == 0;
        bool run = strcmp(o->command, "run") == 0;
        tk_log_level level;
        int status = -1;

        if (opt == 'h') {
            print_usage(stdout);
            return -1;
        }
        if (opt == 'W') {
            printf("teep-agent %s\n", TK_VERSION);
            return -1;
        }
        if (opt == '?')
            return TK_AGENT_EXIT_USAGE;
        if (opt == 's') {
            o->store = optarg;
            continue;
        }
        if (opt == 'j' && !run) {
            o->json = true;
            continue;
        }
        if (opt == 'l') {
            if (tk_log_parse_level(optarg, &level) != 0)
                return usage_error("unknown --log-level '%s'", optarg);
            tk_log_set_level(level);
            continue;
        }
        if (init)
            status = init_option(o, opt, optarg);
        else if (run)
            status = run_option(o, opt, optarg);
        if (status > 0)
            return status;
        if (status < 0)
            return usage_error("an option does not apply to '%s'",
                               o->command);
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (o->store == NULL)
        return usage_error("missing --store DIR%s", "");
    if (strcmp(o->command, "run") == 0 && o->tam == NULL)
        return usage_error("missing --tam URL%s", "");
    return 0;
}

/* ---------------------------------------------------------------------- */
/* init and show                                                          */
/* ---------------------------------------------------------------------- */

/* Opens the agent of o without trust anchors, for show and init. */
static int open_plain(const struct options *o, tk_agent **agent)
{
    tk_agent_options opts;
    char msg[512] = "";
    tk_err err;

    memset(&opts, 0, sizeof(opts));
    opts.store_dir = o->store;
    err = tk_agent_open(&opts, agent, msg, sizeof(msg));
    if (err != TK_OK) {
        fprintf(stderr, "teep-agent: %s (%s)\n", msg, tk_errname(err));
        return TK_AGENT_EXIT_STORE;
    }
    return 0;
}

static int cmd_init(struct options *o)
{
    tk_agent *agent = NULL;
    char msg[512] = "";
    tk_err err;
    int status;

    o->init.store_dir = o->store;
    err = tk_agent_init_store(tk_crypto_openssl(), &o->init, msg,
                              sizeof(msg));
    if (err != TK_OK) {
        fprintf(stderr, "teep-agent init: %s (%s)\n", msg, tk_errname(err));
        return err == TK_ERR_INVALID_ARG ? TK_AGENT_EXIT_USAGE
                                         : TK_AGENT_EXIT_STORE;
    }
    status = open_plain(o, &agent);
    if (status != 0)
        return status;
    if (!o->json)
        printf("Created the device identity in %s. Register the device at "
               "the TAM with its\nueid, the agent public keys and the "
               "attestation public key:\n\n", o->store);
    err = tk_agent_describe(agent, stdout, o->json);
    tk_agent_close(agent);
    return err == TK_OK ? 0 : TK_AGENT_EXIT_STORE;
}

static int cmd_show(const struct options *o)
{
    tk_agent *agent = NULL;
    int status = open_plain(o, &agent);
    tk_err err;

    if (status != 0)
        return status;
    err = tk_agent_describe(agent, stdout, o->json);
    tk_agent_close(agent);
    return err == TK_OK ? 0 : TK_AGENT_EXIT_STORE;
}

/* ---------------------------------------------------------------------- */
/* Sessions                                                               */
/* ---------------------------------------------------------------------- */

/* The transport of a run. */
struct transport {
    const char *url;
    tk_http_client *http;
    tk_coap_client *coap;
};

static tk_err transport_post(void *ctx, const uint8_t *body, size_t len,
                             tk_net_reply *reply)
{
    struct transport *t = ctx;

    if (t->coap != NULL)
        return tk_coap_client_post(t->coap, t->url, body, len, reply);
    return tk_http_client_post(t->http, t->url, body, len, reply);
}

/* Creates the client for o->tam. */
static int transport_open(const struct options *o, struct transport *t)
{
    tk_err err;

    memset(t, 0, sizeof(*t));
    t->url = o->tam;
    if (strncmp(o->tam, "coap://", 7) == 0) {
        tk_coap_client_config cfg;

        tk_coap_client_config_init(&cfg);
        cfg.timeout_ms = (unsigned)o->timeout * 1000u;
        cfg.max_response = MAX_REPLY;
        cfg.log_name = "agent-coap";
        err = tk_coap_client_new(&cfg, &t->coap);
    } else {
        tk_http_client_config cfg;

        tk_http_client_config_init(&cfg);
        cfg.timeout_ms = (unsigned)o->timeout * 1000u;
        cfg.max_response = MAX_REPLY;
        cfg.accept_teep_cose = o->accept_teep_cose;
        cfg.user_agent = "teep-agent";
        cfg.log_name = "agent-http";
        err = tk_http_client_new(&cfg, &t->http);
    }
    if (err != TK_OK) {
        fprintf(stderr, "teep-agent: cannot create the client for %s: %s\n",
                o->tam, tk_strerror(err));
        return TK_AGENT_EXIT_INTERNAL;
    }
    return 0;
}

static void transport_close(struct transport *t)
{
    tk_http_client_free(t->http);
    tk_coap_client_free(t->coap);
}

/* Opens the agent with the trust anchors of o and queues the requests. */
static int open_run(const struct options *o, tk_agent **agent)
{
    tk_agent_options opts;
    char msg[512] = "";
    tk_err err;

    memset(&opts, 0, sizeof(opts));
    opts.store_dir = o->store;
    opts.tam_keys = o->tam_keys;
    opts.tam_key_count = o->tam_key_count;
    opts.signer_keys = o->signer_keys;
    opts.signer_key_count = o->signer_key_count;
    opts.delegation_keys = o->delegation_keys;
    opts.delegation_key_count = o->delegation_key_count;
    opts.decrypt_keys = o->decrypt_keys;
    opts.decrypt_key_count = o->decrypt_key_count;
    opts.fetch_dirs = o->fetch_dirs;
    opts.fetch_dir_count = o->fetch_dir_count;
    err = tk_agent_open(&opts, agent, msg, sizeof(msg));
    if (err != TK_OK) {
        fprintf(stderr, "teep-agent: %s (%s)\n", msg, tk_errname(err));
        return TK_AGENT_EXIT_STORE;
    }
    /* parse_retries() keeps the count within what the agent accepts. */
    tk_agent_set_retry(*agent, (unsigned)o->retries, TK_AGENT_RETRY_DELAY_MS);
    if (o->tam_key_count == 0)
        TK_LOG_WARN("agent", "no --tam-key given: every TAM message will be "
                    "rejected");
    if (o->signer_key_count == 0 && o->delegation_key_count == 0)
        TK_LOG_WARN("agent", "no --signer-key or --delegation-anchor given: "
                    "every manifest will be rejected");
    return 0;
}

/* Queues the --request and --unrequest components. */
static int queue_requests(const struct options *o, tk_agent *agent)
{
    uint8_t id[TK_AGENT_MAX_COMPONENT_ID];
    size_t len = 0;

    for (size_t i = 0; i < o->request_count + o->unrequest_count; i++) {
        bool request = i < o->request_count;
        const char *text = request ? o->requests[i]
                                   : o->unrequests[i - o->request_count];
        tk_err err = tk_agent_component_id_parse(text, id, sizeof(id), &len);

        if (err == TK_OK)
            err = request ? tk_agent_request(agent, (tk_view){id, len})
                          : tk_agent_unrequest(agent, (tk_view){id, len});
        if (err != TK_OK) {
            fprintf(stderr, "teep-agent: %s '%s': %s\n",
                    request ? "--request" : "--unrequest", text,
                    tk_strerror(err));
            return TK_AGENT_EXIT_USAGE;
        }
    }
    return 0;
}

/* Sleeps up to seconds, returning early when a stop was requested. */
static void wait_interval(long seconds)
{
    for (long i = 0; i < seconds && !stop_requested; i++) {
        struct timespec one = {1, 0};

        nanosleep(&one, NULL);
    }
}

static int cmd_run(const struct options *o)
{
    struct transport t;
    tk_agent *agent = NULL;
    tk_agent_session session;
    int status = open_run(o, &agent);

    if (status == 0)
        status = queue_requests(o, agent);
    if (status == 0)
        status = transport_open(o, &t);
    if (status != 0) {
        tk_agent_close(agent);
        return status;
    }
    do {
        TK_LOG_INFO("agent", "connecting to the TAM at %s", o->tam);
        tk_agent_run_session(agent, transport_post, &t, &session);
        status = (int)session.exit;
        if (o->daemon && !stop_requested)
            wait_interval(o->interval);
    } while (o->daemon && !stop_requested);
    transport_close(&t);
    tk_agent_close(agent);
    if (o->daemon) {
        TK_LOG_INFO("agent", "stopped by a signal");
        return 0;
    }
    return status;
}

int main(int argc, char **argv)
{
    struct options o;
    struct sigaction sa;
    int status = parse_options(argc, argv, &o);

    if (status != 0)
        return status < 0 ? 0 : status;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (strcmp(o.command, "init") == 0)
        return cmd_init(&o);
    if (strcmp(o.command, "show") == 0)
        return cmd_show(&o);
    return cmd_run(&o);
}
