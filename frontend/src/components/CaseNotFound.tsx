import { Link } from "../router";

/**
 * CaseNotFound is what a page of a case shows when there is no such case or it is not the reader's to see:
 * the two look the same, so that a case's existence is never given away.
 */
export function CaseNotFound({ back = "/" }: { back?: string }) {
  return (
    <>
      <h1>Case not found</h1>
      <p>There is no case at this address, or you may not see it.</p>
      <p>
        <Link href={back}>Back to cases</Link>
      </p>
    </>
  );
}
