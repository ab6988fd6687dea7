import type { StatementValues } from "../statements";
import { TEXT_FIELDS, deliveryLabel, statementLanguageLabel } from "../statements";

/**
 * StatementTextView shows what a statement (or one revision of it) says, read-only: how and in which language it
 * is to be given, then each section in the victim's words, line breaks kept. The text carries the statement's
 * language, so that screen readers pronounce it and right-to-left scripts run the right way.
 */
export function StatementTextView({ values, id }: { values: StatementValues; id?: string }) {
  return (
    <dl class="details statement-view" id={id}>
      <div>
        <dt>Language</dt>
        <dd>{statementLanguageLabel(values.language)}</dd>
      </div>
      <div>
        <dt>Delivery</dt>
        <dd>{deliveryLabel(values.delivery)}</dd>
      </div>
      {TEXT_FIELDS.map((f) => (
        <div key={f.name}>
          <dt>{f.label}</dt>
          <dd>
            {values[f.name] ? (
              <span class="statement-view__text" lang={values.language} dir="auto">
                {values[f.name]}
              </span>
            ) : (
              <span class="muted">Nothing written</span>
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}
