"""A TAM with one registered device and a component signer, and the checks
that the resilience tests make on both sides after a session."""

from harness import (
    Agent, COMPONENT_NAME, EXIT_OK, HookedTam, check, check_equal,
    db_rows, make_integrated_component, make_signer, sha256_hex)

# The component identifier of the tests, CBOR-encoded as the TAM stores
# it: ['TEEP-Device', 'SecureFS', h'8d82573a926d4754935332dc29997f74'].
COMPONENT_ID = bytes.fromhex(
    "834b544545502d446576696365485365637572654653508d82573a926d4754935332"
    "dc29997f74")


class World:
    """A TAM (HookedTam) serving a registered device whose policy names
    the component "app", and the signer of that component's versions."""

    def __init__(self, h, coap=False, policy=True, tam_env=None,
                 config=None, agent_name="device"):
        self.h = h
        self.tam = HookedTam(h)
        self.coap = coap
        self.tam_env = tam_env
        self.config = config
        self.tam.start(coap=coap, env=tam_env, config=config)
        self.agent = Agent(h, agent_name)
        self.agent.register(self.tam)
        self.signer, self.signer_pub = make_signer(h, "author")
        self.policy = policy
        self.versions = {}

    def restart_tam(self, env=None):
        """Starts the TAM again on the same database and keys."""
        self.tam.start(coap=self.coap, env=env, config=self.config)

    def add_version(self, sequence, payload, name=None):
        """Stores a version of "app" whose install fetches payload as an
        integrated payload; sets the device's policy on the first one."""
        name = name or f"app-v{sequence}"
        envelope, payload_file = make_integrated_component(
            self.h, name, sequence, payload, self.signer)
        self.tam.cmd("component", "add", envelope, "--signer",
                     self.signer_pub, "--name", "app", "--payload",
                     "#app=" + payload_file)
        self.versions[sequence] = payload
        if self.policy and len(self.versions) == 1:
            self.set_policy(self.agent)
        return envelope

    def set_policy(self, agent, absent=False):
        args = ["policy", "set", "--device", agent.ueid, "--component", "app"]
        if absent:
            args.append("--absent")
        self.tam.cmd(*args)

    def add_agent(self, name):
        agent = Agent(self.h, name)
        agent.register(self.tam)
        if self.policy:
            self.set_policy(agent)
        return agent

    def url(self, coap=None):
        use_coap = self.coap if coap is None else coap
        return self.tam.coap_url if use_coap else self.tam.url

    def run(self, agent=None, url=None, expect=EXIT_OK, env=None, extra=()):
        """Runs one teep-agent session against the TAM."""
        agent = agent or self.agent
        return agent.run(url or self.url(), self.tam.keys, [self.signer_pub],
                         extra=extra, env=env, expect=expect)

    def device_id(self, agent=None):
        agent = agent or self.agent
        rows = db_rows(self.tam, "SELECT id FROM devices WHERE ueid = ?",
                       (bytes.fromhex(agent.ueid),))
        check_equal(len(rows), 1, "devices with the agent's ueid")
        return rows[0][0]

    def tam_installed(self, agent=None):
        """Returns {component id: sequence} that the TAM records."""
        rows = db_rows(self.tam, "SELECT component_id, sequence FROM "
                       "installed WHERE device_id = ?",
                       (self.device_id(agent),))
        return {bytes(cid): seq for cid, seq in rows}

    def tam_reports(self, agent=None):
        """Returns [(session, item, result)] of the device's reports."""
        return db_rows(self.tam, "SELECT session_id, item, result FROM "
                       "reports WHERE device_id = ? ORDER BY id",
                       (self.device_id(agent),))

    def audit_actions(self, action=None):
        if action is None:
            return [r[0] for r in db_rows(self.tam, "SELECT action FROM "
                                          "audit_log ORDER BY id")]
        return [r[0] for r in db_rows(self.tam, "SELECT action FROM "
                                      "audit_log WHERE action = ?",
                                      (action,))]

    def check_installed(self, sequence, agent=None):
        """Checks that the device and the TAM both record version
        sequence of "app", whole."""
        agent = agent or self.agent
        payload = self.versions[sequence]
        found = agent.component()
        check(found is not None, f"{COMPONENT_NAME} is not in the agent store")
        image, meta = found
        check_equal(len(image), len(payload), "size of the installed image")
        check(image == payload, "the installed image equals the payload")
        check_equal(meta["sequence-number"], sequence,
                    "stored sequence number")
        check_equal(meta["image-digest"], sha256_hex(payload),
                    "image digest in the metadata")
        check_equal(self.tam_installed(agent), {COMPONENT_ID: sequence},
                    "components the TAM records as installed")

    def check_nothing_installed(self, agent=None):
        agent = agent or self.agent
        check_equal(agent.component_files(), [],
                    "files in the component store")
        check_equal(self.tam_installed(agent), {},
                    "components the TAM records as installed")


def payload_bytes(size, seed):
    """Returns size reproducible bytes that differ for each seed."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += sha256_hex(f"{seed}:{counter}".encode()).encode()
        counter += 1
    return bytes(out[:size])
