import { useEffect } from "preact/hooks";
import { Link } from "../router";
import { setTitle } from "../format";

export function NotFound() {
  useEffect(() => setTitle("Page not found"), []);
  return (
    <>
      <h1>Page not found</h1>
      <p>There is no page at this address.</p>
      <p>
        <Link href="/">Back to cases</Link>
      </p>
    </>
  );
}
