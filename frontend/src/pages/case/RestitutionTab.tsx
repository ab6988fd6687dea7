import { useEffect, useState } from "preact/hooks";
import { api, type Case } from "../../api/client";
import { ListStatus, LoadMore, usePagedList } from "../../components/PagedList";
import { CaseSummary } from "../../components/restitution/CaseSummary";
import { OrderDetail } from "../../components/restitution/OrderDetail";
import { OrderForm } from "../../components/restitution/OrderForm";
import { formatDate } from "../../format";
import { jurisdictionName, useJurisdictions } from "../../jurisdictions";
import { formatCents } from "../../money";
import { navigate, useLocation } from "../../router";
import { canEnterOrders, caseDefendants, count, orderHref, owedOf, paidOf, type Named } from "../../restitution";
import { useCurrentUser } from "../../session";
import { caseHref } from "./tabs";

/**
 * RestitutionTab is a case's restitution: the totals and charts over every order, the orders, and one order
 * opened below them (its address carries ?order=, so that it survives a reload and Back closes it). Whatever
 * moves money bumps `version`, and the totals, charts, list, order and ledger are read again.
 */
export function RestitutionTab({ kase }: { kase: Case }) {
  const me = useCurrentUser();
  const { search } = useLocation();
  const orderId = new URLSearchParams(search).get("order");
  const jurisdictions = useJurisdictions();
  const [version, setVersion] = useState(0);
  const [entering, setEntering] = useState(false);
  const [message, setMessage] = useState("");
  const [defendants, setDefendants] = useState<Named[]>([]);
  const mayEnter = canEnterOrders(me?.role);

  const list = usePagedList(
    (cursor, signal) =>
      api.GET("/api/v1/cases/{case_id}/restitution-orders", { params: { path: { case_id: kase.id }, query: { cursor } }, signal }),
    [kase.id, version],
  );

  useEffect(() => {
    const ctrl = new AbortController();
    caseDefendants(kase.id, ctrl.signal)
      .then((ds) => !ctrl.signal.aborted && setDefendants(ds))
      .catch(() => undefined);
    return () => ctrl.abort();
  }, [kase.id]);

  const tabHref = caseHref(kase.id, "restitution");
  const openOrder = (id: string) => {
    setMessage("");
    if (id === orderId) closeOrder();
    else navigate(orderHref(kase.id, id));
  };
  const closeOrder = () => {
    const id = orderId;
    setMessage("");
    navigate(tabHref);
    window.setTimeout(() => document.getElementById(id ? `open-order-${id}` : "enter-order")?.focus(), 0);
  };

  return (
    <section aria-labelledby="restitution-heading" id="restitution-tab">
      <div class="section-head">
        <h2 id="restitution-heading">Restitution</h2>
        {mayEnter && !entering && (
          <button
            type="button"
            id="enter-order"
            class="button"
            onClick={() => {
              setMessage("");
              setEntering(true);
            }}
          >
            Enter an order
          </button>
        )}
      </div>
      <p role="status" class="status-message" id="restitution-message">
        {message}
      </p>

      {entering && (
        <OrderForm
          caseId={kase.id}
          caseJurisdiction={kase.jurisdiction}
          onCreated={(o) => {
            setEntering(false);
            setVersion((v) => v + 1);
            setMessage(`Order of ${formatDate(o.ordered_on)} entered: ${formatCents(o.totals.ordered_cents)} to ${count(o.line_count, "victim", "victims")}.`);
            navigate(orderHref(kase.id, o.id));
          }}
          onCancel={() => {
            setEntering(false);
            window.setTimeout(() => document.getElementById("enter-order")?.focus(), 0);
          }}
        />
      )}

      <CaseSummary caseId={kase.id} version={version} />

      <section class="section--tight" aria-labelledby="orders-heading">
        <h3 id="orders-heading">Orders</h3>
        <ListStatus
          list={list}
          one="order"
          many="orders"
          emptyTitle="No restitution order yet."
          emptyHint={
            mayEnter
              ? "Enter the court’s order with “Enter an order”: its lines start from the victims’ verified losses."
              : "None has been entered in this case."
          }
        />
        {list.items.length > 0 && (
          <table class="data-table orders-table" id="orders-table" aria-busy={list.loading ? "true" : undefined}>
            <caption class="visually-hidden">The case’s restitution orders, newest first, as of today</caption>
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Jurisdiction</th>
                <th scope="col" class="num">
                  Victims
                </th>
                <th scope="col" class="num">
                  Ordered
                </th>
                <th scope="col" class="num">
                  Paid
                </th>
                <th scope="col" class="num">
                  Balance
                </th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((o) => {
                const isOpen = o.id === orderId;
                return (
                  <tr key={o.id} id={`order-${o.id}`} class={isOpen ? "is-open" : undefined}>
                    <td data-label="Order" class="data-table__title">
                      <span class="orders-table__date">
                        <time dateTime={o.ordered_on}>{formatDate(o.ordered_on)}</time>
                      </span>
                      {o.court_order_reference && <span class="orders-table__ref">{o.court_order_reference}</span>}
                      <button
                        type="button"
                        id={`open-order-${o.id}`}
                        class="button button--secondary button--small orders-table__open"
                        aria-expanded={isOpen ? "true" : "false"}
                        aria-controls="order-detail"
                        onClick={() => openOrder(o.id)}
                      >
                        {isOpen ? "Close" : "Open"}
                        <span class="visually-hidden"> the order of {formatDate(o.ordered_on)}</span>
                      </button>
                    </td>
                    <td data-label="Jurisdiction">{jurisdictionName(jurisdictions.items, o.jurisdiction)}</td>
                    <td data-label="Victims" class="num">
                      {o.line_count}
                    </td>
                    <td data-label="Ordered" class="num">
                      {formatCents(owedOf(o.totals))}
                    </td>
                    <td data-label="Paid" class="num">
                      {formatCents(paidOf(o.totals))}
                    </td>
                    <td data-label="Balance" class="num" data-cents={o.totals.balance_cents}>
                      {formatCents(o.totals.balance_cents)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {list.cursor && !list.loading && <LoadMore id="more-orders" busy={list.loadingMore} onClick={list.loadMore} />}
      </section>

      <div id="order-detail">
        {orderId && (
          <OrderDetail
            key={orderId}
            caseId={kase.id}
            orderId={orderId}
            defendants={defendants}
            role={me?.role}
            version={version}
            onChanged={() => {
              setMessage("");
              setVersion((v) => v + 1);
            }}
            onClose={closeOrder}
          />
        )}
      </div>
    </section>
  );
}
