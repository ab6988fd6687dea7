import { statementStatusLabel } from "../statements";

/** StatementBadge shows where a statement (or one of its revisions) stands: draft, submitted or final. */
export function StatementBadge({ status, id }: { status: string; id?: string }) {
  return (
    <span class={`badge badge--statement-${status}`} id={id}>
      {statementStatusLabel(status)}
    </span>
  );
}
