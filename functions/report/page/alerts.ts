/** Current takeback alerts: each with its figures and what drove it. */
import { causeText } from './causes.ts';
import { card, el, notice } from './dom.ts';
import { showInDrill } from './drilldown.ts';
import { dateLong, money, titleCase } from './format.ts';
import { data, payerName } from './payers.ts';

export function renderAlerts(): void {
  const a = data.alerts.available ? data.alerts.data : null;
  const body = card(
    'alerts',
    'Current takeback alerts',
    a?.current_since
      ? `Weeks from ${dateLong(a.current_since)} whose takebacks are far above the payer's trailing 26-week baseline, with what drove them.`
      : 'Weeks whose takebacks are far above the payer’s trailing baseline.',
  );
  if (!a) {
    notice(body, `Alerts not available: ${data.alerts.reason}.`);
    return;
  }
  if (a.current.length === 0) {
    body.append(
      el('p', {
        class: 'empty',
        text: `No current alerts.${a.earlier_count ? ` ${a.earlier_count} earlier alert${a.earlier_count === 1 ? '' : 's'} in the period.` : ''}`,
      }),
    );
    return;
  }
  const list = el('div', { class: 'alerts' });
  for (const r of a.current) {
    const drivers = (title: string, items: (Node | string)[] | null) =>
      el('div', {}, [
        el('h4', { text: title }),
        items?.length
          ? el(
              'ol',
              {},
              items.map((i) => el('li', {}, i instanceof Node ? i : String(i))),
            )
          : el('span', { class: 'muted', text: '—' }),
      ]);
    list.append(
      el('article', { class: 'alert-card' }, [
        el('div', { class: 'alert-title', text: payerName(r.payer_id) }),
        el('div', {
          class: 'alert-meta',
          text: `Week of ${dateLong(r.week_start)} · ${r.grain === 'payer' || !r.cause ? 'all causes' : titleCase(r.cause)} · score ${r.score === null ? '—' : Number(r.score).toFixed(1)}`,
        }),
        el('div', { class: 'alert-figures' }, [
          el('div', {}, [el('strong', { text: money(r.takeback) }), 'taken back']),
          el('div', {}, [el('strong', { text: money(r.baseline) }), 'usual week']),
          el('div', {}, [el('strong', { text: money(r.excess) }), 'above usual']),
        ]),
        el('div', { class: 'drivers' }, [
          drivers(
            'Top claims',
            (r.top_claims || []).map((label, j): Node | string => {
              // A PLB offset's reference links to the drill-down, searched for that reference.
              const reference = (r.top_claim_references || [])[j];
              return reference
                ? el('a', {
                    href: '#drilldown',
                    class: 'plb-link',
                    'data-payer': r.payer_id,
                    'data-reference': reference,
                    title: `Show PLB reference ${reference} in the takebacks of ${payerName(r.payer_id)}`,
                    onclick: (e) => {
                      e.preventDefault();
                      showInDrill(r.payer_id, reference);
                    },
                    text: String(label),
                  })
                : String(label);
            }),
          ),
          drivers('Top providers', r.top_providers),
          drivers('Top causes', (r.top_causes || []).map(causeText)),
        ]),
      ]),
    );
  }
  body.append(list);
  if (a.earlier_count)
    body.append(
      el('p', {
        class: 'small muted',
        text: `${a.earlier_count} earlier alert${a.earlier_count === 1 ? '' : 's'} in the period are not shown.`,
      }),
    );
}
