import type { TargetedEvent, TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, toProblem, type PasswordResetCode, type Problem, type Role, type User, type UserUpdate } from "../api/client";
import { ErrorSummary, FieldError, failureFrom, invalid, type Failure } from "../components/FormErrors";
import { NewPasswordFields, newPasswordProblems } from "../components/NewPasswordFields";
import { ProblemAlert } from "../components/ProblemAlert";
import { formatInstant, setTitle } from "../format";
import { navigate } from "../router";
import { ROLES, roleLabel, setSignedOut, signInHref, useCurrentUser } from "../session";
import { NotAllowed } from "./NotAllowed";

const USER_FIELDS = {
  email: { id: "user-email", label: "Email address" },
  display_name: { id: "user-name", label: "Name" },
  role: { id: "user-role", label: "Role" },
  password: { id: "user-password", label: "Password" },
};
const USER_ORDER = ["user-email", "user-name", "user-role", "user-password"];

type NewUser = { email: string; name: string; role: string; password: string };
const EMPTY: NewUser = { email: "", name: "", role: "", password: "" };

const byEmail = (a: User, b: User) => a.email.localeCompare(b.email);

/** isRole tells a role from the empty "choose a role" value of a select. */
const isRole = (value: string): value is Role => (ROLES as ReadonlyArray<string>).includes(value);

export function Users() {
  const me = useCurrentUser();
  const [users, setUsers] = useState<User[]>([]);
  const [loading, setLoading] = useState(true);
  const [forbidden, setForbidden] = useState(false);
  const [loadProblem, setLoadProblem] = useState<Problem | null>(null);
  const [message, setMessage] = useState("");
  const [actionProblem, setActionProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  // Roles chosen in a row's select but not yet applied, by user id.
  const [roles, setRoles] = useState<Record<string, Role>>({});
  // Resetting two-factor sign-in: which row asks "are you sure?", and where the keyboard goes afterwards.
  const [confirmingReset, setConfirmingReset] = useState<string | null>(null);
  // Resetting a password: which row asks "are you sure?", and the code to pass on, shown once.
  const [confirmingPassword, setConfirmingPassword] = useState<string | null>(null);
  const [issued, setIssued] = useState<{ user: User; reset: PasswordResetCode } | null>(null);
  const focusAfter = useRef<string | null>(null);

  useEffect(() => setTitle(forbidden ? "Not allowed" : "Users"), [forbidden]);

  useEffect(() => {
    let live = true;
    api
      .GET("/api/v1/users")
      .then(({ data, error, response }) => {
        if (!live) return;
        if (data) setUsers([...data.items].sort(byEmail));
        else if (response.status === 403) setForbidden(true);
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
    if (confirmingReset) {
      document.getElementById(`confirm-reset-mfa-${confirmingReset}`)?.focus();
    } else if (confirmingPassword) {
      document.getElementById(`confirm-reset-password-${confirmingPassword}`)?.focus();
    } else if (focusAfter.current) {
      const id = focusAfter.current;
      focusAfter.current = null;
      document.getElementById(id)?.focus();
    }
  }, [confirmingReset, confirmingPassword, users, issued]);

  if (forbidden) return <NotAllowed />;

  const replace = (u: User) => setUsers((prev) => prev.map((x) => (x.id === u.id ? u : x)));

  /** change applies one row action and says what happened, or why not. */
  const change = async (u: User, patch: UserUpdate | "unlock" | "reset-mfa", done: (after: User) => string) => {
    setBusy(u.id);
    setMessage("");
    setActionProblem(null);
    try {
      const path = { params: { path: { user_id: u.id } } };
      const { data, error, response } =
        patch === "unlock"
          ? await api.POST("/api/v1/users/{user_id}/unlock", path)
          : patch === "reset-mfa"
            ? await api.POST("/api/v1/users/{user_id}/reset-mfa", path)
            : await api.PATCH("/api/v1/users/{user_id}", {
                ...path,
                // The version this page shows: a change made meanwhile by someone else is refused, not overwritten.
                headers: { "Content-Type": "application/merge-patch+json" },
                params: { ...path.params, header: { "If-Match": `"${u.version}"` } },
                body: patch,
              });
      if (data) {
        if (patch === "reset-mfa" && u.id === me?.id) {
          // Resetting one's own two-factor sign-in ends one's own sessions too: sign in again.
          setSignedOut();
          navigate(signInHref("/admin/users", true), { replace: true });
          return;
        }
        if (patch === "reset-mfa") {
          focusAfter.current = data.active ? `disable-${u.id}` : `enable-${u.id}`;
          setConfirmingReset(null);
        }
        replace(data);
        setRoles(({ [u.id]: _applied, ...rest }) => rest);
        setMessage(done(data));
      } else if (response.status === 412) {
        await reload(u);
        setActionProblem({
          ...toProblem(error, response),
          title: `Someone else changed ${u.display_name}’s account`,
          detail: "The list now shows the account as it is. Check it, then make your change again.",
        });
      } else {
        setActionProblem(toProblem(error, response));
      }
    } catch (err) {
      setActionProblem(toProblem(err));
    }
    setBusy(null);
  };

  /** reload reads one account again, after a change was refused because it had changed meanwhile. */
  const reload = async (u: User) => {
    try {
      const { data } = await api.GET("/api/v1/users/{user_id}", { params: { path: { user_id: u.id } } });
      if (data) {
        replace(data);
        setRoles(({ [u.id]: _stale, ...rest }) => rest);
      }
    } catch {
      // The refusal is shown either way; the list stays as it was.
    }
  };

  /** resetPassword asks the server for a one-time code for u, and shows it once. */
  const resetPassword = async (u: User) => {
    setBusy(u.id);
    setMessage("");
    setActionProblem(null);
    try {
      const { data, error, response } = await api.POST("/api/v1/users/{user_id}/password-reset", {
        params: { path: { user_id: u.id } },
      });
      if (data) {
        setConfirmingPassword(null);
        setIssued({ user: u, reset: data });
        focusAfter.current = "reset-code";
      } else {
        setActionProblem(toProblem(error, response));
      }
    } catch (err) {
      setActionProblem(toProblem(err));
    }
    setBusy(null);
  };

  const created = (u: User) => {
    setUsers((prev) => [...prev.filter((x) => x.id !== u.id), u].sort(byEmail));
    setActionProblem(null);
    setMessage(`Account created for ${u.display_name}.`);
  };

  return (
    <>
      <h1>Users</h1>
      <p class="lead">
        Staff accounts. Changing someone’s role or disabling them ends their sessions at once. There must always be
        one active administrator. Creating an account, changing a role, disabling, enabling or unlocking an account, and
        resetting a password or two-factor sign-in ask for your password again when you last entered it more than 15
        minutes ago.
      </p>

      <p role="status" class="status-message">
        {message}
      </p>
      {loadProblem && <ProblemAlert problem={loadProblem} />}
      {actionProblem && <ProblemAlert problem={actionProblem} />}
      {issued && (
        <ResetCode
          user={issued.user}
          reset={issued.reset}
          onDone={() => {
            focusAfter.current = `reset-password-${issued.user.id}`;
            setIssued(null);
          }}
        />
      )}

      {loading && <p class="muted">Loading users…</p>}
      {!loading && users.length > 0 && (
        <table id="users-table" class="data-table">
          <caption class="visually-hidden">Staff accounts</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email address</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">
                <abbr title="Two-factor sign-in">2FA</abbr>
              </th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => {
              const chosen = roles[u.id] ?? u.role;
              const self = u.id === me?.id;
              const rowBusy = busy === u.id;
              return (
                <tr key={u.id}>
                  <td data-label="Name" class="data-table__title">
                    {u.display_name}
                    {self && <span class="muted"> (you)</span>}
                  </td>
                  <td data-label="Email address" class="breakable">
                    {u.email}
                  </td>
                  <td data-label="Role">
                    <div class="inline-control">
                      <label for={`role-${u.id}`} class="visually-hidden">
                        Role for {u.display_name}
                      </label>
                      <select
                        id={`role-${u.id}`}
                        class="select--compact"
                        value={chosen}
                        disabled={rowBusy}
                        onChange={(e) => {
                          const value = e.currentTarget.value;
                          if (isRole(value)) setRoles((prev) => ({ ...prev, [u.id]: value }));
                        }}
                      >
                        {ROLES.map((r) => (
                          <option key={r} value={r}>
                            {roleLabel(r)}
                          </option>
                        ))}
                      </select>
                      <button
                        type="button"
                        id={`change-role-${u.id}`}
                        class="button button--secondary button--small"
                        disabled={rowBusy || chosen === u.role}
                        onClick={() =>
                          void change(u, { role: chosen }, (a) => `${a.display_name}’s role is now ${roleLabel(a.role)}.`)
                        }
                      >
                        Change role<span class="visually-hidden"> for {u.display_name}</span>
                      </button>
                    </div>
                  </td>
                  <td data-label="Status">
                    <AccountStatus user={u} />
                  </td>
                  <td data-label="2FA">
                    {u.mfa_enabled ? (
                      <span class="pill pill--ok">
                        On<span class="visually-hidden"> (two-factor sign-in)</span>
                      </span>
                    ) : (
                      <span class="pill pill--off">
                        Off<span class="visually-hidden"> (two-factor sign-in)</span>
                      </span>
                    )}
                  </td>
                  <td data-label="Actions">
                    <div class="actions">
                      {u.active ? (
                        <button
                          type="button"
                          id={`disable-${u.id}`}
                          class="button button--secondary button--small"
                          disabled={rowBusy}
                          onClick={() =>
                            void change(u, { active: false }, (a) => `${a.display_name} is disabled and signed out.`)
                          }
                        >
                          Disable<span class="visually-hidden"> {u.display_name}</span>
                        </button>
                      ) : (
                        <button
                          type="button"
                          id={`enable-${u.id}`}
                          class="button button--secondary button--small"
                          disabled={rowBusy}
                          onClick={() =>
                            void change(u, { active: true }, (a) => `${a.display_name} can sign in again.`)
                          }
                        >
                          Enable<span class="visually-hidden"> {u.display_name}</span>
                        </button>
                      )}
                      {u.locked && (
                        <button
                          type="button"
                          id={`unlock-${u.id}`}
                          class="button button--secondary button--small"
                          disabled={rowBusy}
                          onClick={() => void change(u, "unlock", (a) => `${a.display_name} is unlocked.`)}
                        >
                          Unlock<span class="visually-hidden"> {u.display_name}</span>
                        </button>
                      )}
                      {!self && confirmingPassword !== u.id && (
                        <button
                          type="button"
                          id={`reset-password-${u.id}`}
                          class="button button--secondary button--small"
                          disabled={rowBusy}
                          onClick={() => {
                            setMessage("");
                            setActionProblem(null);
                            setConfirmingReset(null);
                            setConfirmingPassword(u.id);
                          }}
                        >
                          Reset password<span class="visually-hidden"> for {u.display_name}</span>
                        </button>
                      )}
                      {u.mfa_enabled && confirmingReset !== u.id && (
                        <button
                          type="button"
                          id={`reset-mfa-${u.id}`}
                          class="button button--secondary button--small"
                          disabled={rowBusy}
                          onClick={() => {
                            setMessage("");
                            setActionProblem(null);
                            setConfirmingPassword(null);
                            setConfirmingReset(u.id);
                          }}
                        >
                          Reset two-factor<span class="visually-hidden"> for {u.display_name}</span>
                        </button>
                      )}
                    </div>
                    {confirmingPassword === u.id && (
                      <div class="confirm">
                        <p class="confirm__question">
                          Reset {u.display_name}’s password? Their current password stops working at once, they are
                          signed out, and their API tokens stop working. You get a one-time code to give them, with
                          which they set a new password.
                        </p>
                        <div class="actions">
                          <button
                            type="button"
                            id={`confirm-reset-password-${u.id}`}
                            class="button button--danger button--small"
                            disabled={rowBusy}
                            onClick={() => void resetPassword(u)}
                          >
                            Yes, reset the password
                          </button>
                          <button
                            type="button"
                            id={`cancel-reset-password-${u.id}`}
                            class="button button--secondary button--small"
                            disabled={rowBusy}
                            onClick={() => {
                              focusAfter.current = `reset-password-${u.id}`;
                              setConfirmingPassword(null);
                            }}
                          >
                            Cancel
                          </button>
                        </div>
                      </div>
                    )}
                    {u.mfa_enabled && confirmingReset === u.id && (
                      <div class="confirm">
                        <p class="confirm__question">
                          Reset two-factor sign-in for {u.display_name}?{" "}
                          {self
                            ? "You will be signed out, and must set it up again."
                            : "They are signed out, and their authenticator app and recovery codes stop working. " +
                              "They can set it up again when they next sign in."}
                        </p>
                        <div class="actions">
                          <button
                            type="button"
                            id={`confirm-reset-mfa-${u.id}`}
                            class="button button--danger button--small"
                            disabled={rowBusy}
                            onClick={() =>
                              void change(
                                u,
                                "reset-mfa",
                                (a) =>
                                  `${a.display_name}’s two-factor sign-in is reset, and they are signed out.`,
                              )
                            }
                          >
                            Yes, reset
                          </button>
                          <button
                            type="button"
                            id={`cancel-reset-mfa-${u.id}`}
                            class="button button--secondary button--small"
                            disabled={rowBusy}
                            onClick={() => {
                              focusAfter.current = `reset-mfa-${u.id}`;
                              setConfirmingReset(null);
                            }}
                          >
                            Cancel
                          </button>
                        </div>
                      </div>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}

      <section class="section" aria-labelledby="new-user-heading">
        <h2 id="new-user-heading">New account</h2>
        <UserForm onCreated={created} />
      </section>
    </>
  );
}

/**
 * ResetCode shows the one-time code of a password reset, once, with a way to copy it and what the
 * administrator does with it.
 */
function ResetCode({ user, reset, onDone }: { user: User; reset: PasswordResetCode; onDone: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState({ text: "", ok: true });

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(reset.code);
      setCopied({ text: "Copied.", ok: true });
    } catch {
      // No clipboard API (a page served over plain HTTP) or permission refused: fall back on selecting it.
      field.current?.focus();
      field.current?.select();
      let ok = false;
      try {
        ok = document.execCommand("copy");
      } catch {
        ok = false;
      }
      setCopied(
        ok
          ? { text: "Copied.", ok: true }
          : { text: "Could not copy automatically. The code is selected: copy it with your keyboard.", ok: false },
      );
    }
  };

  return (
    <div class="secret" role="region" aria-labelledby="reset-code-heading">
      <h2 id="reset-code-heading">Reset code for {user.display_name}</h2>
      <p id="reset-code-warning" class="secret__warning">
        Copy this code now. It will not be shown again.
      </p>
      <div class="field">
        <label for="reset-code">One-time reset code</label>
        <div class="secret__row">
          <input
            type="text"
            id="reset-code"
            class="mono-input"
            readOnly
            value={reset.code}
            ref={field}
            aria-describedby="reset-code-warning reset-code-help"
            spellcheck={false}
            autoComplete="off"
            onFocus={(e) => e.currentTarget.select()}
          />
          <button type="button" id="copy-reset-code" class="button" onClick={() => void copy()}>
            Copy
          </button>
        </div>
      </div>
      <p role="status" class={copied.ok ? "secret__copied secret__copied--ok" : "secret__copied"}>
        {copied.text}
      </p>
      <p id="reset-code-help">
        Give it to {user.display_name} yourself, in person or by phone, rather than by email. On the sign-in page they
        choose “Set a new password with a reset code” and enter their email address, this code and a new password. The
        code works once, until {formatInstant(reset.expires_at)}. Their old password no longer works, and if they use
        an authenticator app they still need it to sign in.
      </p>
      <p class="secret__done">
        <button type="button" id="dismiss-reset-code" class="button button--secondary button--small" onClick={onDone}>
          Done
        </button>
      </p>
    </div>
  );
}

function AccountStatus({ user }: { user: User }) {
  return (
    <span class="status-list">
      {user.active ? <span class="pill pill--ok">Active</span> : <span class="pill pill--off">Disabled</span>}
      {user.locked && <span class="pill pill--warn">Locked</span>}
    </span>
  );
}

/** UserForm creates a staff account; the server judges the password and says so beside the field. */
function UserForm({ onCreated }: { onCreated: (u: User) => void }) {
  const [values, setValues] = useState<NewUser>(EMPTY);
  const latest = useRef<NewUser>(EMPTY);
  const [submitting, setSubmitting] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);

  const set = (field: keyof NewUser) => (value: string) => {
    latest.current = { ...latest.current, [field]: value };
    setValues(latest.current);
  };
  const typed = (field: keyof NewUser) => (e: TargetedEvent<HTMLInputElement | HTMLSelectElement>) =>
    set(field)(e.currentTarget.value);

  const submit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (submitting) return;
    const v = latest.current;
    const email = v.email.trim();
    const name = v.name.trim();
    const role = v.role;
    const missing: Record<string, string> = {};
    if (!email) missing["user-email"] = "Enter an email address.";
    if (!name) missing["user-name"] = "Enter a name.";
    if (!isRole(role)) missing["user-role"] = "Choose a role.";
    Object.assign(missing, newPasswordProblems(v.password, { id: "user-password" }));
    if (Object.keys(missing).length > 0 || !isRole(role)) {
      setFailure({ title: "Some required fields are empty.", fields: missing, other: [] });
      return;
    }

    setSubmitting(true);
    try {
      const { data, error, response } = await api.POST("/api/v1/users", {
        body: { email, display_name: name, role, password: v.password },
      });
      if (data) {
        setFailure(null);
        latest.current = EMPTY;
        setValues(EMPTY);
        onCreated(data);
      } else {
        const problem = toProblem(error, response);
        const f = failureFrom(problem, USER_FIELDS);
        if (response.status === 409 && !f.fields["user-email"]) {
          // The only conflict a new account can meet: say it once, beside the field.
          f.fields["user-email"] = "An account with this email address already exists.";
          f.detail = undefined;
        }
        setFailure(f);
      }
    } catch (err) {
      setFailure(failureFrom(toProblem(err), USER_FIELDS));
    }
    setSubmitting(false);
  };

  return (
    <form id="user-form" class="panel" noValidate onSubmit={(e) => void submit(e)}>
      {failure && <ErrorSummary failure={failure} order={USER_ORDER} />}
      <div class="form-grid">
        <div class="field">
          <label for="user-email">Email address</label>
          <input
            type="email"
            id="user-email"
            name="email"
            autoComplete="off"
            autoCapitalize="none"
            spellcheck={false}
            required
            value={values.email}
            onInput={typed("email")}
            {...invalid("user-email", failure)}
          />
          <FieldError id="user-email" failure={failure} />
        </div>
        <div class="field">
          <label for="user-name">Name</label>
          <input
            type="text"
            id="user-name"
            name="display_name"
            autoComplete="off"
            required
            value={values.name}
            onInput={typed("name")}
            {...invalid("user-name", failure)}
          />
          <FieldError id="user-name" failure={failure} />
        </div>
        <div class="field">
          <label for="user-role">Role</label>
          <select
            id="user-role"
            name="role"
            required
            value={values.role}
            onChange={typed("role")}
            {...invalid("user-role", failure)}
          >
            <option value="">Choose a role</option>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {roleLabel(r)}
              </option>
            ))}
          </select>
          <FieldError id="user-role" failure={failure} />
        </div>
        <NewPasswordFields
          id="user-password"
          label="Password"
          name="password"
          password={{ value: values.password, onInput: set("password") }}
          failure={failure}
        />
      </div>
      <div class="form-actions">
        <button type="submit" id="create-user" class="button" disabled={submitting}>
          Create account
        </button>
        <span class="muted" role="status">
          {submitting ? "Creating…" : ""}
        </span>
      </div>
    </form>
  );
}
