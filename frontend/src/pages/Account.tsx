import type { TargetedEvent, TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, toProblem, type NewToken, type Problem, type Token, type TokenScope } from "../api/client";
import { ErrorSummary, FieldError, failureFrom, invalid, type Failure } from "../components/FormErrors";
import { NewPasswordFields, newPasswordProblems } from "../components/NewPasswordFields";
import { ProblemAlert } from "../components/ProblemAlert";
import { formatInstant, setTitle } from "../format";
import { Link } from "../router";
import { TWO_FACTOR_PATH, roleLabel, setCsrfToken, useCurrentUser } from "../session";
import { tooManyTries } from "../throttle";

export function Account() {
  const me = useCurrentUser();
  // A password change revokes every token: the list is read again, and a secret still shown goes with it.
  const [tokensRead, setTokensRead] = useState(0);
  useEffect(() => setTitle("Account"), []);
  if (!me) return null;

  return (
    <div class="medium">
      <h1>Account</h1>
      <dl class="details">
        <div>
          <dt>Name</dt>
          <dd>{me.display_name}</dd>
        </div>
        <div>
          <dt>Email address</dt>
          <dd>{me.email}</dd>
        </div>
        <div>
          <dt>Role</dt>
          <dd>{roleLabel(me.role)}</dd>
        </div>
      </dl>
      <section class="section" aria-labelledby="mfa-heading">
        <h2 id="mfa-heading">Two-factor sign-in</h2>
        <p>
          {me.mfa_enabled ? (
            <span class="pill pill--ok">On</span>
          ) : (
            <span class="pill pill--off">Off</span>
          )}{" "}
          {me.mfa_enabled
            ? "You sign in with your password and a code from your authenticator app."
            : "You sign in with your password alone. Add a code from an authenticator app to protect your account."}
        </p>
        <p>
          <Link href={TWO_FACTOR_PATH} id="mfa-link">
            {me.mfa_enabled ? "About your two-factor sign-in" : "Set up two-factor sign-in"}
          </Link>
        </p>
      </section>
      <ChangePassword email={me.email} onChanged={() => setTokensRead((n) => n + 1)} />
      <ApiTokens key={tokensRead} />
    </div>
  );
}

const PASSWORD_FIELDS = {
  current_password: { id: "current-password", label: "Current password" },
  new_password: { id: "new-password", label: "New password" },
};
const CONFIRM_ID = "confirm-password";
const PASSWORD_ORDER = ["current-password", "new-password", CONFIRM_ID];
type Passwords = { current: string; next: string; confirm: string };
const NO_PASSWORDS: Passwords = { current: "", next: "", confirm: "" };

/**
 * ChangePassword changes the user's own password with the current one. Every other session of the account
 * ends and its API tokens are revoked (someone else may hold them); this one goes on.
 */
function ChangePassword({ email, onChanged }: { email: string; onChanged: () => void }) {
  const [values, setValues] = useState<Passwords>(NO_PASSWORDS);
  const latest = useRef<Passwords>(NO_PASSWORDS);
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [message, setMessage] = useState("");

  const set = (field: keyof Passwords) => (value: string) => {
    latest.current = { ...latest.current, [field]: value };
    setValues(latest.current);
  };

  const submit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (saving) return;
    const v = latest.current;
    const missing: Record<string, string> = {};
    if (!v.current) missing["current-password"] = "Enter your current password.";
    Object.assign(missing, newPasswordProblems(v.next, { id: "new-password", confirmId: CONFIRM_ID }, v.confirm));
    if (Object.keys(missing).length > 0) {
      setMessage("");
      setFailure({ title: "Check the passwords you entered.", fields: missing, other: [] });
      return;
    }
    setSaving(true);
    setMessage("");
    try {
      const { data, error, response } = await api.POST("/api/v1/auth/password", {
        body: { current_password: v.current, new_password: v.next },
      });
      if (data) {
        // This session goes on under a new token, whose CSRF token the next requests need.
        setCsrfToken(data.csrf_token);
        latest.current = NO_PASSWORDS;
        setValues(NO_PASSWORDS);
        setFailure(null);
        onChanged();
        setMessage(
          "Your password is changed. You are signed out everywhere else, and your API tokens no longer work: sign in with the new password, and make new tokens where you need them.",
        );
      } else if (response.status === 429) {
        setFailure(tooManyTries(response, "failed tries"));
      } else {
        const f = failureFrom(toProblem(error, response), PASSWORD_FIELDS);
        if (f.fields["current-password"]) {
          // Typed again from the start: the wrong one is no use, and counts towards a lockout.
          latest.current = { ...latest.current, current: "" };
          setValues(latest.current);
        }
        setFailure(f);
      }
    } catch (err) {
      setFailure(failureFrom(toProblem(err), PASSWORD_FIELDS));
    }
    setSaving(false);
  };

  return (
    <section class="section" aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      <p class="lead">
        Change your password here. You need your current one. Other places where you are signed in are signed out, and
        your API tokens stop working.
      </p>
      <p role="status" class="status-message" id="password-message">
        {message}
      </p>
      <form id="password-form" class="panel" noValidate onSubmit={(e) => void submit(e)}>
        {failure && <ErrorSummary failure={failure} order={PASSWORD_ORDER} />}
        {/* Lets password managers tell whose password this is. */}
        <input type="email" autocomplete="username" value={email} readOnly hidden />
        <div class="form-grid">
          <div class="field">
            <label for="current-password">Current password</label>
            <input
              type="password"
              id="current-password"
              autocomplete="current-password"
              required
              value={values.current}
              onInput={(e) => set("current")(e.currentTarget.value)}
              {...invalid("current-password", failure)}
            />
            <FieldError id="current-password" failure={failure} />
          </div>
          <NewPasswordFields
            id="new-password"
            label="New password"
            password={{ value: values.next, onInput: set("next") }}
            confirm={{ id: CONFIRM_ID, value: values.confirm, onInput: set("confirm") }}
            failure={failure}
          />
        </div>
        <div class="form-actions">
          <button type="submit" id="change-password" class="button" disabled={saving}>
            Change password
          </button>
          <span class="muted" role="status">
            {saving ? "Changing…" : ""}
          </span>
        </div>
      </form>
    </section>
  );
}

const DEFAULT_DAYS = "90";

const TOKEN_FIELDS = {
  name: { id: "token-name", label: "Name" },
  expires_in_days: { id: "token-days", label: "Days until it expires" },
  scopes: { id: "token-access-read", label: "What it may do" },
};

/** The longest a sensitive token may live, as the server holds it. */
const MAX_SENSITIVE_DAYS = 30;

/**
 * scopesLabel says in words what a token's scopes let it do. The sensitive actions a read-only token may take
 * are those that change nothing: revealing full SSNs.
 */
function scopesLabel(scopes: ReadonlyArray<TokenScope>): string {
  const write = scopes.includes("write");
  if (!scopes.includes("sensitive")) return write ? "Read and change" : "Read only";
  return write ? "Read and change, sensitive actions" : "Read only, and reveal full SSNs";
}

/** sensitiveHint says what "Sensitive actions too" adds to a token with the access chosen. */
function sensitiveHint(access: "read" | "write"): string {
  const adds =
    access === "write"
      ? "Creating, enabling and unlocking accounts, changing roles, resetting passwords and two-factor sign-in, revealing SSNs, and disbursements, refunds and reversals."
      : "With Read only, it adds one thing: revealing victims’ full SSNs. It changes nothing.";
  return `${adds} Such a token lasts at most 30 days, and you are asked for your password first.`;
}
const TOKEN_ORDER = ["token-name", "token-days", "token-access-read"];

function Instant({ at }: { at: string }) {
  return <time dateTime={at}>{formatInstant(at)}</time>;
}

/** ApiTokens lists the user's API tokens, revokes them, and creates new ones, showing each secret once. */
function ApiTokens() {
  const [tokens, setTokens] = useState<Token[]>([]);
  const [loading, setLoading] = useState(true);
  const [loadProblem, setLoadProblem] = useState<Problem | null>(null);
  const [message, setMessage] = useState("");

  // Revoking: which row asks "are you sure?", and what went wrong last.
  const [confirming, setConfirming] = useState<string | null>(null);
  const [revoking, setRevoking] = useState(false);
  const [revokeProblem, setRevokeProblem] = useState<Problem | null>(null);
  const focusAfter = useRef<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  // Creating.
  const [name, setName] = useState("");
  const [days, setDays] = useState(DEFAULT_DAYS);
  const [access, setAccess] = useState<"read" | "write">("read");
  const [sensitive, setSensitive] = useState(false);
  const latest = useRef({ name: "", days: DEFAULT_DAYS, access: "read" as "read" | "write", sensitive: false });
  const [creating, setCreating] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [created, setCreated] = useState<NewToken | null>(null);
  const [copyMessage, setCopyMessage] = useState({ text: "", ok: true });
  const secret = useRef<HTMLInputElement>(null);

  useEffect(() => {
    let live = true;
    api
      .GET("/api/v1/auth/tokens")
      .then(({ data, error, response }) => {
        if (!live) return;
        if (data) setTokens(data.items);
        else setLoadProblem(toProblem(error, response));
      })
      .catch((err: unknown) => live && setLoadProblem(toProblem(err)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, []);

  // Keep the keyboard where the work is as the confirm step opens and closes.
  useEffect(() => {
    if (confirming) {
      document.getElementById(`confirm-revoke-${confirming}`)?.focus();
    } else if (focusAfter.current) {
      const id = focusAfter.current;
      focusAfter.current = null;
      if (id === "heading") heading.current?.focus();
      else document.getElementById(id)?.focus();
    }
  }, [confirming, tokens]);

  // Show the new secret where the keyboard and screen reader are.
  useEffect(() => {
    if (created) secret.current?.focus();
  }, [created]);

  const askRevoke = (t: Token) => {
    setMessage("");
    setRevokeProblem(null);
    setConfirming(t.id);
  };

  const cancelRevoke = (t: Token) => {
    focusAfter.current = `revoke-${t.id}`;
    setConfirming(null);
  };

  const revoke = async (t: Token) => {
    setRevoking(true);
    setRevokeProblem(null);
    try {
      const { error, response } = await api.DELETE("/api/v1/auth/tokens/{token_id}", {
        params: { path: { token_id: t.id } },
      });
      // 404: it is gone already (revoked in another tab); either way it no longer works.
      if (response.ok || response.status === 404) {
        focusAfter.current = "heading";
        setTokens((prev) => prev.filter((x) => x.id !== t.id));
        setConfirming(null);
        setMessage(`Token “${t.name}” revoked. It no longer works.`);
        if (created?.id === t.id) setCreated(null);
      } else {
        setRevokeProblem(toProblem(error, response));
      }
    } catch (err) {
      setRevokeProblem(toProblem(err));
    }
    setRevoking(false);
  };

  const set = (field: "name" | "days") => (e: TargetedEvent<HTMLInputElement>) => {
    const value = e.currentTarget.value;
    latest.current = { ...latest.current, [field]: value };
    if (field === "name") setName(value);
    else setDays(value);
  };

  /** setScope changes what the new token may do; a sensitive one lasts at most 30 days. */
  const setScope = (change: { access?: "read" | "write"; sensitive?: boolean }) => {
    const next = { ...latest.current, ...change };
    if (change.sensitive && (Number(next.days) > MAX_SENSITIVE_DAYS || next.days.trim() === "")) {
      next.days = String(MAX_SENSITIVE_DAYS);
      setDays(next.days);
    }
    latest.current = next;
    setAccess(next.access);
    setSensitive(next.sensitive);
  };

  const create = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (creating) return;
    const tokenName = latest.current.name.trim();
    const rawDays = latest.current.days.trim();
    const n = Number(rawDays);
    const most = latest.current.sensitive ? MAX_SENSITIVE_DAYS : 365;
    const missing: Record<string, string> = {};
    if (!tokenName) missing["token-name"] = "Enter a name for the token.";
    if (!/^\d+$/.test(rawDays) || n < 1 || n > most) {
      missing["token-days"] = latest.current.sensitive
        ? "Enter a number of days from 1 to 30: a token for sensitive actions lasts at most 30 days."
        : "Enter a number of days from 1 to 365.";
    }
    if (Object.keys(missing).length > 0) {
      setFailure({ title: "Check the token’s details.", fields: missing, other: [] });
      return;
    }

    setCreating(true);
    setMessage("");
    setCopyMessage({ text: "", ok: true });
    try {
      const scopes: TokenScope[] = [latest.current.access];
      if (latest.current.sensitive) scopes.push("sensitive");
      // A sensitive token needs the password entered in the last 15 minutes: the API client asks for it.
      const { data, error, response } = await api.POST("/api/v1/auth/tokens", {
        body: { name: tokenName, expires_in_days: n, scopes },
      });
      if (data) {
        setFailure(null);
        setCreated(data);
        const { token: _secret, ...listed } = data;
        setTokens((prev) => [{ ...listed, last_used_at: null }, ...prev.filter((t) => t.id !== data.id)]);
        latest.current = { name: "", days: DEFAULT_DAYS, access: "read", sensitive: false };
        setName("");
        setDays(DEFAULT_DAYS);
        setAccess("read");
        setSensitive(false);
      } else {
        setFailure(failureFrom(toProblem(error, response), TOKEN_FIELDS));
      }
    } catch (err) {
      setFailure(failureFrom(toProblem(err), TOKEN_FIELDS));
    }
    setCreating(false);
  };

  const copy = async () => {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.token);
      setCopyMessage({ text: "Copied.", ok: true });
    } catch {
      // No clipboard API (a page served over plain HTTP) or permission refused: fall back on selecting it.
      const input = secret.current;
      input?.focus();
      input?.select();
      let copied = false;
      try {
        copied = document.execCommand("copy");
      } catch {
        copied = false;
      }
      setCopyMessage(
        copied
          ? { text: "Copied.", ok: true }
          : { text: "Could not copy automatically. The token is selected: copy it with your keyboard.", ok: false },
      );
    }
  };

  const dismiss = () => {
    setCreated(null);
    setCopyMessage({ text: "", ok: true });
    document.getElementById("token-name")?.focus();
  };

  const now = Date.now();

  return (
    <section class="section" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading" tabIndex={-1} ref={heading}>
        API tokens
      </h2>
      <p class="lead">
        Scripts and integrations can use an API token instead of signing in. A token acts with your role and your
        case teams until it expires or you revoke it, and only as far as you allow: reading only, or changing data
        too. Sensitive actions (managing accounts, changing roles, resetting passwords, revealing SSNs, and
        disbursements, refunds and reversals) need a token made for them; a read-only one may then reveal SSNs, and
        still changes nothing.
      </p>

      <p role="status" class="status-message">
        {message}
      </p>
      {loadProblem && <ProblemAlert problem={loadProblem} />}
      {revokeProblem && <ProblemAlert problem={revokeProblem} />}

      {created && (
        <div class="secret" aria-labelledby="new-token-heading" role="region">
          <h3 id="new-token-heading">New token: {created.name}</h3>
          <p id="new-token-warning" class="secret__warning">
            Copy this token now. It will not be shown again.
          </p>
          <div class="field">
            <label for="new-token">Token</label>
            <div class="secret__row">
              <input
                type="text"
                id="new-token"
                class="mono-input"
                readOnly
                value={created.token}
                ref={secret}
                aria-describedby="new-token-warning"
                spellcheck={false}
                autoComplete="off"
                onFocus={(e) => e.currentTarget.select()}
              />
              <button type="button" id="copy-token" class="button" onClick={() => void copy()}>
                Copy
              </button>
            </div>
          </div>
          <p role="status" class={copyMessage.ok ? "secret__copied secret__copied--ok" : "secret__copied"}>
            {copyMessage.text}
          </p>
          <p class="secret__done">
            <button type="button" id="dismiss-token" class="button button--secondary button--small" onClick={dismiss}>
              Done
            </button>
          </p>
        </div>
      )}

      {loading ? (
        <p class="muted">Loading tokens…</p>
      ) : tokens.length === 0 ? (
        !loadProblem && <p class="muted">You have no API tokens.</p>
      ) : (
        <table id="tokens-table" class="data-table">
          <caption class="visually-hidden">Your API tokens</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">May</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id}>
                <td data-label="Name" class="data-table__title">
                  {t.name}
                </td>
                <td data-label="May">{scopesLabel(t.scopes)}</td>
                <td data-label="Created">
                  <Instant at={t.created_at} />
                </td>
                <td data-label="Expires">
                  <Instant at={t.expires_at} />
                  {Date.parse(t.expires_at) <= now && <span class="muted"> (expired)</span>}
                </td>
                <td data-label="Last used">
                  {t.last_used_at ? <Instant at={t.last_used_at} /> : <span class="muted">Never</span>}
                </td>
                <td data-label="Actions">
                  {confirming === t.id ? (
                    <div class="confirm">
                      <p class="confirm__question">Revoke “{t.name}”? Anything using it stops working.</p>
                      <div class="actions">
                        <button
                          type="button"
                          id={`confirm-revoke-${t.id}`}
                          class="button button--danger button--small"
                          disabled={revoking}
                          onClick={() => void revoke(t)}
                        >
                          Yes, revoke
                        </button>
                        <button
                          type="button"
                          id={`cancel-revoke-${t.id}`}
                          class="button button--secondary button--small"
                          disabled={revoking}
                          onClick={() => cancelRevoke(t)}
                        >
                          Cancel
                        </button>
                      </div>
                    </div>
                  ) : (
                    <button
                      type="button"
                      id={`revoke-${t.id}`}
                      class="button button--secondary button--small"
                      onClick={() => askRevoke(t)}
                    >
                      Revoke<span class="visually-hidden"> {t.name}</span>
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h3 class="subhead">Create a token</h3>
      <form id="token-form" class="panel" noValidate onSubmit={(e) => void create(e)}>
        {failure && <ErrorSummary failure={failure} order={TOKEN_ORDER} />}
        <div class="form-grid">
          <div class="field">
            <label for="token-name">Name</label>
            <input
              type="text"
              id="token-name"
              name="name"
              maxLength={100}
              autoComplete="off"
              required
              value={name}
              onInput={set("name")}
              {...invalid("token-name", failure, "token-name-hint")}
            />
            <p id="token-name-hint" class="hint">
              What it is for, such as “nightly export”
            </p>
            <FieldError id="token-name" failure={failure} />
          </div>
          <div class="field">
            <label for="token-days">Days until it expires</label>
            <input
              type="number"
              id="token-days"
              name="expires_in_days"
              min={1}
              max={sensitive ? MAX_SENSITIVE_DAYS : 365}
              step={1}
              inputMode="numeric"
              required
              value={days}
              onInput={set("days")}
              {...invalid("token-days", failure, "token-days-hint")}
            />
            <p id="token-days-hint" class="hint">
              {sensitive ? "From 1 to 30" : "From 1 to 365"}
            </p>
            <FieldError id="token-days" failure={failure} />
          </div>
        </div>
        <fieldset class="subfieldset">
          <legend>What it may do</legend>
          <div class="choices">
            <div class="check">
              <input
                type="radio"
                name="token-access"
                id="token-access-read"
                value="read"
                checked={access === "read"}
                onChange={() => setScope({ access: "read" })}
              />
              <label for="token-access-read">Read only</label>
            </div>
            <div class="check">
              <input
                type="radio"
                name="token-access"
                id="token-access-write"
                value="write"
                checked={access === "write"}
                onChange={() => setScope({ access: "write" })}
              />
              <label for="token-access-write">Read and change data</label>
            </div>
            <div class="check">
              <input
                type="checkbox"
                id="token-sensitive"
                checked={sensitive}
                onChange={(e) => setScope({ sensitive: e.currentTarget.checked })}
                aria-describedby="token-sensitive-hint"
              />
              <label for="token-sensitive">Sensitive actions too</label>
            </div>
          </div>
          <p id="token-sensitive-hint" class="hint">
            {sensitiveHint(access)}
          </p>
          <FieldError id="token-access-read" failure={failure} />
        </fieldset>
        <div class="form-actions">
          <button type="submit" id="create-token" class="button" disabled={creating}>
            Create token
          </button>
          <span class="muted" role="status">
            {creating ? "Creating…" : ""}
          </span>
        </div>
      </form>
    </section>
  );
}
