//! The state inspector: cache entries, database rows, the bus and the outbox at the cursor, with what changed in the last step.

use yew::prelude::*;

use crate::model::view::{Inspector, PendingRow};

#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    /// The state at the cursor.
    pub inspector: Inspector,
    /// Operations in flight.
    pub pending: Vec<PendingRow>,
}

/// The state inspector: cache, database, bus, outbox, in flight; what the
/// last step changed is highlighted (and marked with a dot, not only by
/// colour).
#[function_component(InspectorPanel)]
pub fn inspector_panel(props: &InspectorProps) -> Html {
    let i = &props.inspector;
    let changed = |changed: bool| classes!(changed.then_some("changed"));
    html! {
        <section class="panel inspector" aria-labelledby="inspector-title" data-testid="inspector">
            <h3 id="inspector-title">{ "Inspector (at the cursor)" }</h3>
            <div class="inspector-grid">
                <div>
                    <h4>{ "Cache" }</h4>
                    <table data-testid="cache-table">
                        <thead><tr>
                            <th scope="col">{ "key" }</th><th scope="col">{ "value" }</th>
                            <th scope="col">{ "TTL" }</th><th scope="col">{ "lease / lock" }</th>
                        </tr></thead>
                        <tbody>
                            { for i.cache.iter().map(|row| html! {
                                <tr key={row.key.clone()} class={classes!(changed(row.changed), row.diverged.then_some("diverged"))}>
                                    <th scope="row">{ &row.key }</th>
                                    <td data-testid="cache-cell">{ &row.value }</td>
                                    <td data-testid="cache-ttl">{ &row.ttl }</td>
                                    <td data-testid="cache-hold">{ &row.hold }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
                <div>
                    <h4>{ "Database" }</h4>
                    <table data-testid="db-table">
                        <thead><tr>
                            <th scope="col">{ "key" }</th><th scope="col">{ "primary" }</th>
                            if i.db.iter().any(|row| row.replica.is_some()) {
                                <th scope="col">{ "replica" }</th>
                            }
                        </tr></thead>
                        <tbody>
                            { for i.db.iter().map(|row| html! {
                                <tr key={row.key.clone()} class={changed(row.changed)}>
                                    <th scope="row">{ &row.key }</th>
                                    <td data-testid="db-cell">{ format!("{} @{}", row.value, row.version) }</td>
                                    if let Some(replica) = &row.replica {
                                        <td data-testid="replica-cell">{ replica }</td>
                                    }
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
                if !i.partitions.is_empty() {
                    <div>
                        <h4>{ "Event bus" }</h4>
                        <ul class="partitions" data-testid="partitions">
                            { for i.partitions.iter().map(|p| html! {
                                <li class={changed(p.changed)} data-testid="partition">
                                    <strong>{ format!("partition {}", p.index) }</strong>
                                    <span data-testid="partition-offsets">{ format!(" · {}", p.offsets) }</span>
                                    if p.busy { { " · consumer busy" } }
                                    if p.in_transit.is_empty() && p.queued.is_empty() {
                                        <span class="empty">{ " · empty" }</span>
                                    }
                                    <ul>
                                        { for p.in_transit.iter().map(|e| html! { <li>{ "on the way: " }{ e }</li> }) }
                                        { for p.queued.iter().map(|e| html! { <li>{ "queued: " }{ e }</li> }) }
                                    </ul>
                                </li>
                            }) }
                        </ul>
                    </div>
                }
                if !i.outbox.is_empty() {
                    <div>
                        <h4>{ "Outbox" }</h4>
                        <table data-testid="outbox">
                            <thead><tr><th scope="col">{ "row" }</th><th scope="col">{ "state" }</th></tr></thead>
                            <tbody>
                                { for i.outbox.iter().map(|row| html! {
                                    <tr class={changed(row.changed)}>
                                        <td>{ &row.event }</td>
                                        <td>{ if row.sent { "sent" } else { "not sent" } }</td>
                                    </tr>
                                }) }
                            </tbody>
                        </table>
                    </div>
                }
                <div>
                    <h4 id="pending-title">{ "In flight" }</h4>
                    if props.pending.is_empty() {
                        <p class="empty">{ "Nothing in flight." }</p>
                    } else {
                        <ul data-testid="pending">
                            { for props.pending.iter().map(|row| html! {
                                <li><strong>{ &row.actor }</strong>{ " " }<code>{ &row.operation }</code>{ " — " }{ &row.when }</li>
                            }) }
                        </ul>
                    }
                </div>
            </div>
        </section>
    }
}
