import { useEffect } from "preact/hooks";
import { setTitle } from "../format";
import { Link } from "../router";

/** NotAllowed is what someone sees on a page their role may not use: the server said 403. */
export function NotAllowed() {
  useEffect(() => setTitle("Not allowed"), []);
  return (
    <>
      <h1>Not allowed</h1>
      <p>Your role cannot use this page. Ask an administrator if you need it.</p>
      <p>
        <Link href="/">Back to cases</Link>
      </p>
    </>
  );
}
