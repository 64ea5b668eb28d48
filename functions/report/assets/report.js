// recoup report page script. Builds every table and chart from the embedded JSON, with DOM text
// nodes only (never innerHTML), so a payer name can never become markup. Money arrives as exact
// decimal strings; it is formatted from the string, and turned into a number only to place a point
// on a chart.
(() => {
  const source = document.getElementById('report-data');
  const data = JSON.parse(source ? source.textContent || '{}' : '{}');
  const echarts = window.echarts;
  const charts = [];

  // Colour-blind-safe categorical palette (Okabe–Ito, yellow swapped for a darker tone).
  const PALETTE = [
    '#0072B2',
    '#D55E00',
    '#009E73',
    '#CC79A7',
    '#E69F00',
    '#56B4E9',
    '#6A3D9A',
    '#8C6D31',
    '#4D4D4D',
  ];
  const BAND = 'rgba(0, 114, 178, 0.18)';
  const INK = '#1b2430';
  const INK_3 = '#6b7585';
  const GRID = '#eef1f5';
  const BAD = '#b42318';

  // ---------- formatting ----------

  /** Exact decimal string → cents as BigInt (null when not a number). */
  function cents(value) {
    if (value === null || value === undefined || value === '') return null;
    const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(String(value).trim());
    if (!m) return null;
    const frac = `${m[3] || ''}00`;
    const whole = BigInt(m[2] || '0') * 100n + BigInt(frac.slice(0, 2));
    // Digits past the cents round half away from zero (marts store two decimals; this is a guard).
    const extra = frac.length > 4 && Number(frac[2]) >= 5 ? 1n : 0n;
    const c = whole + extra;
    return m[1] === '-' ? -c : c;
  }
  /** Cents (BigInt) → the exact decimal string money() reads. */
  function decimalOf(c) {
    const abs = c < 0n ? -c : c;
    return `${c < 0n ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
  }
  function groups(digits) {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }
  /** "$1,234" (whole dollars, rounded half away from zero) or "$1,234.56" with showCents. */
  function money(value, showCents) {
    const c = cents(value);
    if (c === null) return '—';
    const neg = c < 0n;
    const abs = neg ? -c : c;
    let text;
    if (showCents) {
      const d = abs / 100n;
      const r = abs % 100n;
      text = `$${groups(d.toString())}.${r.toString().padStart(2, '0')}`;
    } else {
      const d = (abs + 50n) / 100n;
      text = `$${groups(d.toString())}`;
    }
    return neg && text !== '$0' ? `−${text}` : text;
  }
  /** Compact money for headline figures: $1.24M, $385K. */
  function moneyShort(value) {
    const c = cents(value);
    if (c === null) return '—';
    const n = Number(c) / 100;
    const abs = Math.abs(n);
    const sign = n < 0 ? '−' : '';
    if (abs >= 1e9) return `${sign}$${(abs / 1e9).toFixed(2)}B`;
    if (abs >= 1e6) return `${sign}$${(abs / 1e6).toFixed(2)}M`;
    if (abs >= 1e4) return `${sign}$${(abs / 1e3).toFixed(0)}K`;
    return money(value, false);
  }
  function num(value) {
    const c = cents(value);
    return c === null ? 0 : Number(c) / 100;
  }
  function pct(value, digits) {
    if (value === null || value === undefined || Number.isNaN(Number(value))) return '—';
    return `${(Number(value) * 100).toFixed(digits === undefined ? 1 : digits)}%`;
  }
  function days(value) {
    if (value === null || value === undefined) return '—';
    return `${Math.round(Number(value))}`;
  }
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  function dateLong(iso) {
    if (!iso) return '—';
    const [y, m, d] = String(iso).split('-');
    return `${MONTHS[Number(m) - 1]} ${Number(d)}, ${y}`;
  }
  function dateShort(iso) {
    if (!iso) return '—';
    const [, m, d] = String(iso).split('-');
    return `${MONTHS[Number(m) - 1]} ${Number(d)}`;
  }
  function monthLabel(iso) {
    const [y, m] = String(iso).split('-');
    return `${MONTHS[Number(m) - 1]} ${y}`;
  }
  /** For tooltips, which ECharts renders as HTML. */
  function esc(text) {
    return String(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  }
  function titleCase(word) {
    if (!word) return '—';
    const s = String(word).replace(/_/g, ' ');
    return s.charAt(0).toUpperCase() + s.slice(1);
  }
  /** What the catch-all causes mean (DESIGN.md "Cause of a reversal"), shown wherever they appear. */
  const CAUSE_HELP = {
    unspecified:
      'a PLB offset (WO, WU, OB, 72) whose reference names no claim reversed in the lake, so no adjustment reason explains it',
    pending:
      'a reversal whose corrected claim has not arrived yet; its cause is known once the correction is paid',
    other: 'a reversal whose correction carries no adjustment reason (CARC) recoup maps to a cause',
  };
  /** A cause's name, with its meaning as a tooltip when it is a catch-all. */
  function causeText(cause) {
    const help = CAUSE_HELP[cause];
    return help
      ? el('abbr', { class: 'cause-help', title: `${titleCase(cause)}: ${help}`, text: titleCase(cause) })
      : titleCase(cause);
  }

  // ---------- DOM helpers ----------

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const child of [].concat(children || [])) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }
  function card(id, title, intro, controls, extraClass) {
    const head = el('div', { class: 'card-head' }, [
      el('div', {}, [el('h2', { text: title }), intro ? el('p', { text: intro }) : null]),
      controls ? el('div', { class: 'controls' }, controls) : null,
    ]);
    const body = el('div', { class: 'card-body' });
    const section = el('section', { class: `card ${extraClass || ''}`, id, 'aria-labelledby': `${id}-h` }, [
      head,
      body,
    ]);
    head.querySelector('h2').id = `${id}-h`;
    document.getElementById('report').append(section);
    return body;
  }
  function notice(body, text) {
    body.append(el('p', { class: 'notice', role: 'note', text }));
  }
  function segmented(options, current, onChange, label) {
    const group = el('div', { class: 'segmented', role: 'group', 'aria-label': label });
    for (const [value, text] of options) {
      const b = el('button', {
        class: 'seg',
        type: 'button',
        'aria-pressed': value === current ? 'true' : 'false',
        text,
        onclick: () => {
          for (const other of group.children) other.setAttribute('aria-pressed', 'false');
          b.setAttribute('aria-pressed', 'true');
          onChange(value);
        },
      });
      group.append(b);
    }
    return group;
  }
  function payerSelect(id, label, includeAll, selected, onChange) {
    const select = el('select', { id, onchange: (e) => onChange(e.target.value) });
    if (includeAll) select.append(el('option', { value: '', text: 'All payers' }));
    for (const p of payerOrder) select.append(el('option', { value: p, text: payerLabel(p) }));
    select.value = selected;
    return [el('label', { for: id, text: label }), select];
  }
  function table(columns, rows, options) {
    const thead = el(
      'thead',
      {},
      el(
        'tr',
        {},
        columns.map((c) =>
          el('th', { class: c.num ? 'num' : null, scope: 'col', title: c.help || null, text: c.label }),
        ),
      ),
    );
    const tbody = el('tbody');
    for (const row of rows) {
      const tr = el('tr', options?.rowAttrs ? options.rowAttrs(row) : {});
      for (const c of columns) {
        const value = c.render(row);
        tr.append(el('td', { class: c.num ? 'num' : c.cls || null }, value));
      }
      tbody.append(tr);
    }
    const parts = [thead, tbody];
    if (options?.footer) {
      const tr = el('tr');
      for (const c of columns) tr.append(el('td', { class: c.num ? 'num' : null }, options.footer(c)));
      parts.push(el('tfoot', {}, tr));
    }
    return el('table', {}, parts);
  }
  function chartBox(cls, label) {
    return el('div', { class: `chart ${cls || ''}`, role: 'img', 'aria-label': label });
  }
  function makeChart(box) {
    const chart = echarts.init(box, null, { renderer: 'svg' });
    charts.push(chart);
    return chart;
  }

  // ---------- payers ----------

  const names = new Map((data.payers || []).map((p) => [p.payer_id, p.payer_name]));
  const scorecardRows = data.scorecard?.available ? data.scorecard.data : [];
  for (const r of scorecardRows) if (!names.has(r.payer_id)) names.set(r.payer_id, r.payer_name);
  const payerOrder = scorecardRows.length > 0 ? scorecardRows.map((r) => r.payer_id) : [...names.keys()];
  for (const p of names.keys()) if (!payerOrder.includes(p)) payerOrder.push(p);
  function payerName(id) {
    return names.get(id) || id;
  }
  function payerLabel(id) {
    const n = names.get(id);
    return n && n !== id ? `${n} (${id})` : id;
  }
  const colorOf = new Map(payerOrder.map((p, i) => [p, PALETTE[i % PALETTE.length]]));
  let selectedPayer = payerOrder[0] || '';

  const axisCommon = {
    axisLine: { lineStyle: { color: '#c9d1dc' } },
    axisTick: { show: false },
    axisLabel: { color: INK_3, fontSize: 11 },
    splitLine: { lineStyle: { color: GRID } },
  };
  const moneyAxis = {
    type: 'value',
    ...axisCommon,
    axisLabel: {
      color: INK_3,
      fontSize: 11,
      formatter: (v) => moneyShort(v.toFixed(2)),
    },
  };
  const baseOption = {
    animation: false,
    textStyle: { fontFamily: getComputedStyle(document.body).fontFamily, color: INK },
    tooltip: {
      trigger: 'axis',
      confine: true,
      borderColor: '#d5dbe3',
      textStyle: { color: INK, fontSize: 12 },
    },
  };

  // ---------- header ----------

  function renderHeader() {
    const t = data.totals || {};
    const alerts = data.alerts?.available ? data.alerts.data.current.length : null;
    const flagged = data.forecast?.available
      ? data.forecast.data.rows.filter((r) => r.flag === true).length
      : null;
    const windowNote =
      t.window_start && t.window_end
        ? `${dateShort(t.window_start)} – ${dateLong(t.window_end)}`
        : 'all periods';
    const kpis = [
      ['Paid', moneyShort(t.paid), windowNote],
      ['Takebacks (gross)', moneyShort(t.takeback), 'reversals + PLB recoveries'],
      ['Net takebacks', moneyShort(t.net_takeback), 'after corrections repaid'],
      ['Recoupment rate', pct(t.recoupment_rate), 'takebacks ÷ paid'],
      ['Outstanding FB', moneyShort(t.outstanding_fb), 'forwarding balance carried'],
      [
        'Current alerts',
        alerts === null ? '—' : String(alerts),
        alerts === null ? 'alerts mart missing' : `since ${dateShort(data.alerts.data.current_since)}`,
        alerts ? 'alert' : '',
      ],
      [
        'Flagged forecast weeks',
        flagged === null ? '—' : String(flagged),
        'payer-weeks over 20% of payments',
        flagged ? 'alert' : '',
      ],
    ];
    const box = document.getElementById('kpis');
    for (const [label, value, note, cls] of kpis) {
      box.append(
        el('div', { class: `kpi ${cls || ''}` }, [
          el('div', { class: 'kpi-label', text: label }),
          el('div', { class: 'kpi-value', text: value }),
          el('div', { class: 'kpi-note', text: note }),
        ]),
      );
    }
    const sub = document.getElementById('subtitle');
    const parts = [];
    if (data.period?.from) parts.push(`Payments ${dateLong(data.period.from)} – ${dateLong(data.period.to)}`);
    parts.push(`${payerOrder.length} payer${payerOrder.length === 1 ? '' : 's'}`);
    if (data.as_of) parts.push(`as of ${dateLong(data.as_of)}`);
    sub.textContent = parts.join(' · ');
  }

  // ---------- scorecard ----------

  function renderScorecard() {
    const body = card(
      'scorecard',
      'Payer scorecard',
      data.totals?.window_start
        ? `Trailing window ${dateLong(data.totals.window_start)} – ${dateLong(data.totals.window_end)}, ranked by recoupment rate (1 = highest). The arrow compares the rate with the window before. A payer with no remittance in the window is marked inactive and scored on its own last weeks, ranked after the active payers. Select a payer to see its takebacks.`
        : 'Ranked by recoupment rate (1 = highest). Select a payer to see its takebacks.',
    );
    if (!data.scorecard.available) return notice(body, `Scorecard not available: ${data.scorecard.reason}.`);
    if (scorecardRows.length === 0) return notice(body, 'No payer has payments or takebacks in the window.');
    const maxRate = Math.max(0.0001, ...scorecardRows.map((r) => Number(r.recoupment_rate) || 0));
    const arrow = (t) => {
      if (t === 'up')
        return el('span', { class: 'trend up', title: 'rate up vs previous window', text: '▲' });
      if (t === 'down')
        return el('span', { class: 'trend down', title: 'rate down vs previous window', text: '▼' });
      if (t === 'flat')
        return el('span', { class: 'trend flat', title: 'about the same as previous window', text: '▬' });
      return el('span', { class: 'muted', text: '—' });
    };
    const columns = [
      {
        label: 'Rank',
        render: (r) => el('span', { class: 'rank', text: r.rank === null ? '—' : String(r.rank) }),
      },
      {
        label: 'Payer',
        cls: 'payer-cell',
        render: (r) => [
          el('button', {
            type: 'button',
            text: payerName(r.payer_id),
            'aria-label': `Show takebacks of ${payerLabel(r.payer_id)}`,
            onclick: (e) => {
              e.stopPropagation();
              selectPayer(r.payer_id, true);
            },
          }),
          el('span', { class: 'payer-id', text: r.payer_id }),
          r.active === false
            ? el('span', {
                class: 'status-chip inactive',
                title: `No remittance in the trailing window; scored on ${dateLong(r.window_start)} – ${dateLong(r.window_end)}`,
                text: `inactive · last paid ${dateLong(r.last_payment_date)}`,
              })
            : null,
        ],
      },
      { label: 'Paid', num: true, render: (r) => money(r.paid) },
      { label: 'Takeback', num: true, render: (r) => money(r.takeback), help: 'reversals + PLB recoveries' },
      {
        label: 'Net',
        num: true,
        render: (r) => money(r.net_takeback),
        help: 'takeback − corrections repaid',
      },
      {
        label: 'Rate',
        num: true,
        help: 'takeback ÷ paid',
        render: (r) => [
          pct(r.recoupment_rate),
          // More taken back than paid in the window: takebacks of earlier payments, worth a look.
          Number(r.recoupment_rate) > 1
            ? el('span', {
                class: 'status-chip over-100',
                title: 'More was taken back than paid in the window: takebacks of payments made before it',
                text: 'over 100%',
              })
            : null,
          el('span', {
            class: 'rate-bar',
            'aria-hidden': 'true',
            style: `width:${Math.round((Math.max(0, Number(r.recoupment_rate) || 0) / maxRate) * 40)}px`,
          }),
        ],
      },
      { label: 'Net rate', num: true, render: (r) => pct(r.net_recoupment_rate) },
      {
        label: 'Trend',
        cls: 'nowrap',
        render: (r) => [
          arrow(r.trend),
          r.previous_recoupment_rate !== null
            ? el('span', {
                class: 'small muted',
                title: 'rate in the previous window',
                text: ` was ${pct(r.previous_recoupment_rate)}`,
              })
            : null,
        ],
      },
      {
        label: 'Median lag',
        num: true,
        help: 'days from original payment to takeback',
        render: (r) => (r.median_lag_days === null ? '—' : `${days(r.median_lag_days)} d`),
      },
      {
        label: 'Linked',
        num: true,
        help: 'share of takebacks linked to a claim',
        render: (r) => pct(r.linked_share, 0),
      },
      { label: 'Refunds', num: true, render: (r) => money(r.refunds) },
      { label: 'Interest', num: true, render: (r) => money(r.interest) },
      {
        label: 'Outstanding FB',
        num: true,
        help: 'forwarding balance still carried (−Σ PLB FB)',
        render: (r) => money(r.outstanding_fb),
      },
    ];
    const t = data.totals || {};
    const totals = {
      Payer: 'All payers',
      Paid: money(t.paid),
      Takeback: money(t.takeback),
      Net: money(t.net_takeback),
      Rate: pct(t.recoupment_rate),
      Refunds: money(t.refunds),
      Interest: money(t.interest),
      'Outstanding FB': money(t.outstanding_fb),
    };
    const tableNode = table(columns, scorecardRows, {
      rowAttrs: (r) => ({
        class: r.active === false ? 'payer-row inactive' : 'payer-row',
        'data-payer': r.payer_id,
        onclick: () => selectPayer(r.payer_id, true),
      }),
      footer: (c) => totals[c.label] || '',
    });
    body.append(el('div', { class: 'table-wrap' }, tableNode));
    body.append(
      el('p', {
        class: 'small muted',
        text: '▲ rate rose by more than half a point vs the previous window (worse), ▼ fell, ▬ about the same.',
      }),
    );
  }

  // How the window's takebacks were linked: the share of reversals whose correction each rule found,
  // the share of PLB recoveries whose claim each rule found, and the over-recoupments flagged.
  function renderLinkRules() {
    if (!scorecardRows.some((r) => r.reversal_count !== null || r.plb_recovery_count !== null)) return;
    const body = card(
      'links',
      'How takebacks were linked',
      'In the scorecard window: the share of reversals whose correction each rule found, the share of PLB recoveries whose claim each rule found, and the takebacks flagged as over-recoupment.',
    );
    const share = (key) => (r) => (r[key] === null || r[key] === undefined ? '—' : pct(r[key], 0));
    const count = (key) => (r) => (r[key] === null || r[key] === undefined ? '—' : String(r[key]));
    const columns = [
      { label: 'Payer', cls: 'payer-cell', render: (r) => payerName(r.payer_id) },
      { label: 'Reversals', num: true, render: count('reversal_count') },
      {
        label: 'Corrected',
        num: true,
        help: 'share of reversals linked to a correction',
        render: share('corrected_share'),
      },
      {
        label: 'by F8',
        num: true,
        help: 'REF*F8 names the reversed claim',
        render: share('correction_share_original_reference'),
      },
      {
        label: 'by ICN',
        num: true,
        help: 'same payer claim control number (CLP07)',
        render: share('correction_share_payer_claim_control'),
      },
      {
        label: 'by CLP01 + dates',
        num: true,
        help: 'same payee, account number and service dates',
        render: share('correction_share_claim_id_service_dates'),
      },
      {
        label: 'by CLP01 + charge',
        num: true,
        help: 'same payee, account number and charge; dates unknown',
        render: share('correction_share_claim_id_charge'),
      },
      {
        label: 'by CLP01 only',
        num: true,
        help: 'the one claim of that payee and account number',
        render: share('correction_share_claim_id'),
      },
      { label: 'PLB recoveries', num: true, render: count('plb_recovery_count') },
      {
        label: 'Linked',
        num: true,
        help: 'share of PLB recoveries linked to a claim',
        render: share('plb_linked_share'),
      },
      { label: 'by ICN', num: true, render: share('plb_share_icn') },
      { label: 'by CLP01', num: true, render: share('plb_share_claim_id') },
      {
        label: 'by ICN in reference',
        num: true,
        help: 'a token of a composite reference is the ICN',
        render: share('plb_share_composite_icn'),
      },
      {
        label: 'by CLP01 in reference',
        num: true,
        help: 'a token of a composite reference is the account number',
        render: share('plb_share_composite_claim_id'),
      },
      {
        label: 'Over-recouped',
        num: true,
        help: 'takebacks beyond what the original paid, or a second reversal of it',
        render: (r) =>
          r.over_recoupment_count ? `${r.over_recoupment_count} · ${money(r.over_recoupment_amount)}` : '—',
      },
    ];
    body.append(el('div', { class: 'table-wrap' }, table(columns, scorecardRows)));
  }

  // ---------- trends ----------

  function renderTrends() {
    let measure = 'takeback';
    const body = card(
      'trends',
      'Takeback trends by payer',
      'Takebacks by the week and month the money was taken (payment date).',
      [
        segmented(
          [
            ['takeback', 'Gross'],
            ['net_takeback', 'Net'],
          ],
          measure,
          (v) => {
            measure = v;
            draw();
          },
          'Measure',
        ),
      ],
    );
    if (!data.trend.available) return notice(body, `Trends not available: ${data.trend.reason}.`);
    const weeklyBox = chartBox('tall', 'Weekly takebacks by payer, line chart');
    const monthlyBox = chartBox('tall', 'Monthly takebacks by payer, line chart');
    body.append(
      el('h3', { class: 'chart-title', text: 'Weekly' }),
      weeklyBox,
      el('h3', { class: 'chart-title spaced', text: 'Monthly' }),
      monthlyBox,
      el('p', {
        class: 'small muted',
        id: 'partial-note',
        text: 'Shaded “partial”: a week or month the data covers only in part (the as-of date falls inside it); a hollow point: a payer’s partly covered first or last period. Their totals are of part of a period.',
      }),
    );
    const weekly = makeChart(weeklyBox);
    const monthly = makeChart(monthlyBox);
    function option(rows, label, marks) {
      const periods = [...new Set(rows.map((r) => r.period))].sort();
      const byPayer = new Map();
      for (const r of rows) {
        if (!byPayer.has(r.payer_id)) byPayer.set(r.payer_id, new Map());
        byPayer.get(r.payer_id).set(r.period, r);
      }
      // Periods the data covers only in part for every payer (the as-of date falls inside them):
      // shaded, so a rate on a few days of a month is not read as a month's.
      const partial = periods.filter((d) =>
        rows.filter((r) => r.period === d).every((r) => r.partial === true),
      );
      const first = payerOrder.find((q) => byPayer.has(q));
      const series = payerOrder
        .filter((p) => byPayer.has(p))
        .map((p) => ({
          name: payerName(p),
          type: 'line',
          showSymbol: periods.length < 20,
          symbolSize: 5,
          lineStyle: { width: 2 },
          itemStyle: { color: colorOf.get(p) },
          emphasis: { focus: 'series' },
          markArea:
            partial.length > 0 && p === first
              ? {
                  silent: true,
                  itemStyle: { color: 'rgba(107, 117, 133, 0.12)' },
                  label: { formatter: 'partial', color: INK_3, fontSize: 11, position: 'insideTop' },
                  data: partial.map((d) => [{ xAxis: d }, { xAxis: d }]),
                }
              : undefined,
          markLine:
            marks && p === first
              ? {
                  symbol: 'none',
                  silent: true,
                  lineStyle: { color: BAD, type: 'dashed' },
                  label: { formatter: 'restated', color: BAD, fontSize: 11 },
                  data: periods.filter((d) => marks.has(d)).map((d) => ({ xAxis: d })),
                }
              : undefined,
          data: periods.map((d) => {
            const r = byPayer.get(p).get(d);
            // A payer's partly covered period (its first, or the as-of one) is a hollow point.
            return {
              value: r ? num(r[measure]) : 0,
              exact: r ? r[measure] : null,
              partial: r?.partial === true,
              symbol: r?.partial === true ? 'emptyCircle' : undefined,
            };
          }),
        }));
      return {
        ...baseOption,
        color: PALETTE,
        legend: {
          top: 0,
          left: 0,
          icon: 'roundRect',
          itemWidth: 14,
          itemHeight: 4,
          itemGap: 18,
          textStyle: { color: INK, fontSize: 12 },
        },
        grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
        tooltip: {
          ...baseOption.tooltip,
          formatter: (items) => {
            const list = [].concat(items).sort((a, b) => b.value - a.value);
            const head = list[0] ? label(list[0].axisValue) : '';
            return [`<b>${esc(head)}</b>`]
              .concat(
                list.map(
                  (i) =>
                    `${i.marker}${esc(i.seriesName)}&nbsp;&nbsp;<b>${esc(money(i.data.exact, true))}</b>` +
                    (i.data.partial ? ' <i>(part of the period)</i>' : ''),
                ),
              )
              .join('<br>');
          },
        },
        xAxis: {
          type: 'category',
          data: periods,
          ...axisCommon,
          axisLabel: { ...axisCommon.axisLabel, formatter: label },
        },
        yAxis: moneyAxis,
        series,
      };
    }
    function draw() {
      weekly.setOption(option(data.trend.data.weekly, dateShort), true);
      monthly.setOption(option(data.trend.data.monthly, monthLabel, restatedMonths), true);
    }
    draw();
  }

  // ---------- cause and provider breakdowns ----------

  function renderBreakdowns() {
    let payer = '';
    const body = card(
      'breakdowns',
      'Why and from whom',
      'Gross takebacks by cause (the adjustment reason on the correction) and by rendering provider, over every period in the report.',
      payerSelect('breakdown-payer', 'Payer', true, '', (v) => {
        payer = v;
        draw();
      }),
    );
    if (!data.causes.available)
      return notice(body, `Cause and provider breakdowns not available: ${data.causes.reason}.`);
    const causeBox = chartBox('tall', 'Takebacks by cause, bar chart');
    const providerBox = chartBox('tall', 'Takebacks by provider, bar chart');
    body.append(
      el('div', { class: 'grid-2' }, [
        el('div', {}, [el('h3', { class: 'chart-title', text: 'By cause' }), causeBox]),
        el('div', {}, [
          el('h3', { class: 'chart-title', id: 'provider-chart-title', text: 'By provider (top 10)' }),
          providerBox,
          el('p', { class: 'small muted', id: 'billing-note' }),
        ]),
      ]),
    );
    body.append(
      el('dl', { class: 'legend', id: 'cause-legend', 'aria-label': 'What the catch-all causes mean' }, [
        ...Object.entries(CAUSE_HELP).flatMap(([cause, help]) => [
          el('dt', { text: titleCase(cause) }),
          el('dd', { text: help }),
        ]),
      ]),
    );
    const causeChart = makeChart(causeBox);
    const providerChart = makeChart(providerBox);
    function bars(rows, labelOf, color, labelWidth, helpOf) {
      const sorted = rows.slice().sort((a, b) => num(a.takeback) - num(b.takeback));
      return {
        ...baseOption,
        grid: { left: labelWidth + 12, right: 64, top: 6, bottom: 28 },
        tooltip: {
          ...baseOption.tooltip,
          trigger: 'item',
          formatter: (i) =>
            `<b>${esc(i.name)}</b><br>Gross ${esc(money(i.data.row.takeback, true))}` +
            (helpOf?.(i.data.row) ? `<br><i>${esc(helpOf(i.data.row))}</i>` : '') +
            (i.data.row.net_takeback !== null ? `<br>Net ${esc(money(i.data.row.net_takeback, true))}` : '') +
            (i.data.row.takeback_count !== null ? `<br>${esc(i.data.row.takeback_count)} takebacks` : ''),
        },
        xAxis: { ...moneyAxis, splitNumber: 4 },
        yAxis: {
          type: 'category',
          data: sorted.map(labelOf),
          ...axisCommon,
          splitLine: { show: false },
          axisLabel: { color: INK, fontSize: 12, width: labelWidth, overflow: 'truncate' },
        },
        series: [
          {
            type: 'bar',
            barMaxWidth: 18,
            itemStyle: { color, borderRadius: [0, 3, 3, 0] },
            label: {
              show: true,
              position: 'right',
              color: INK_3,
              fontSize: 11,
              formatter: (i) => moneyShort(i.data.row.takeback),
            },
            data: sorted.map((r) => ({ value: num(r.takeback), row: r, name: labelOf(r) })),
          },
        ],
      };
    }
    const providerLabel = (r) =>
      r.provider_name ? `${r.provider_npi} · ${r.provider_name}` : `NPI ${r.provider_npi}`;
    function draw() {
      const causes = payer
        ? data.causes.data.by_payer.filter((r) => r.payer_id === payer)
        : data.causes.data.all;
      const rows = payer
        ? data.providers.data.by_payer.filter((r) => r.payer_id === payer)
        : data.providers.data.all;
      // With roles, the chart ranks rendering providers; billing (payee) NPIs carry the PLB offsets
      // that name no claim and the claims without a rendering NPI, and are summed apart.
      const roles = rows.some((r) => r.provider_role);
      const providers = rows.filter((r) => !roles || r.provider_role === 'rendering').slice(0, 10);
      const billing = rows.filter((r) => roles && r.provider_role === 'billing');
      document.getElementById('provider-chart-title').textContent = roles
        ? 'By rendering provider (top 10)'
        : 'By provider (top 10)';
      const billed = billing.reduce((sum, r) => sum + (cents(r.takeback) ?? 0n), 0n);
      document.getElementById('billing-note').textContent = roles
        ? billing.length > 0
          ? `Not ranked here: ${money(decimalOf(billed), true)} charged to ${billing.length} billing (payee) NPI${billing.length === 1 ? '' : 's'} (${billing.map((r) => r.provider_npi).join(', ')}): PLB offsets that name no claim and claims without a rendering NPI.`
          : 'No takeback is charged to a billing (payee) NPI.'
        : '';
      causeChart.setOption(
        bars(
          causes,
          (r) => titleCase(r.cause),
          '#0072B2',
          165,
          (r) => CAUSE_HELP[r.cause],
        ),
        true,
      );
      providerChart.setOption(bars(providers, providerLabel, '#009E73', 250), true);
    }
    draw();
  }

  // ---------- forecast ----------

  /** A round axis maximum above v: 1, 2, 2.5 or 5 times a power of ten. */
  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = 10 ** Math.floor(Math.log10(v));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  function renderForecast() {
    const rows = data.forecast.available ? data.forecast.data.rows : [];
    const withForecast = payerOrder.filter((p) => rows.some((r) => r.payer_id === p));
    const flaggedFirst = withForecast.find((p) => rows.some((r) => r.payer_id === p && r.flag === true));
    let payer = flaggedFirst || withForecast[0] || '';
    const intro = `Expected takebacks for the next 13 weeks${data.forecast.data?.as_of ? ` after ${dateLong(data.forecast.data.as_of)}` : ''}: the band is the 10th–90th percentile, the line the median. Shaded weeks are flagged: median takebacks plus scheduled offsets exceed 20% of expected payments.`;
    const body = card(
      'forecast',
      '13-week liquidity forecast',
      intro,
      data.forecast.available && withForecast.length > 0
        ? payerSelect('forecast-payer', 'Payer', false, payer, (v) => {
            payer = v;
            draw();
          })
        : null,
    );
    if (!data.forecast.available) return notice(body, `Forecast not available: ${data.forecast.reason}.`);
    if (withForecast.length === 0) return notice(body, 'The forecast mart has no rows.');
    const stats = el('div', { class: 'stats' });
    const box = chartBox('tall', 'Forecast fan chart of weekly takebacks');
    const tableBox = el('div', { class: 'table-wrap' });
    body.append(stats, box, tableBox);
    const chart = makeChart(box);
    function sum(list, key) {
      let total = 0n;
      for (const r of list) total += cents(r[key]) || 0n;
      const neg = total < 0n;
      const abs = neg ? -total : total;
      return `${neg ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
    }
    function draw() {
      const list = rows.filter((r) => r.payer_id === payer);
      const flagged = list.filter((r) => r.flag === true);
      stats.replaceChildren(
        ...[
          ['Expected payments', moneyShort(sum(list, 'expected_payments')), ''],
          ['Takebacks, median', moneyShort(sum(list, 'takeback_p50')), ''],
          ['Scheduled offsets', moneyShort(sum(list, 'scheduled_offsets')), ''],
          ['Net cash, median', moneyShort(sum(list, 'net_cash_p50')), ''],
          ['Flagged weeks', `${flagged.length} of ${list.length}`, flagged.length ? 'flag' : ''],
        ].map(([label, value, cls]) =>
          el('div', { class: `stat ${cls}` }, [
            el('div', { class: 'stat-label', text: label }),
            el('div', { class: 'stat-value', text: value }),
          ]),
        ),
      );
      const weeks = list.map((r) => r.week_start);
      // Flagged weeks are shaded by a full-height background bar (markArea needs two distinct categories).
      const yMax = niceMax(
        Math.max(
          ...list.map((r) =>
            Math.max(
              num(r.takeback_p90),
              num(r.scheduled_offsets),
              num(r.takeback_p50),
              num(r.expected_payments) * 0.2,
            ),
          ),
        ) * 1.08,
      );
      chart.setOption(
        {
          ...baseOption,
          legend: {
            bottom: 0,
            data: [
              'Takebacks p10–p90',
              'Takebacks p50',
              'Scheduled offsets',
              '20% of expected payments',
              'Flagged week',
            ],
            textStyle: { color: INK },
          },
          grid: { left: 8, right: 16, top: 16, bottom: 42, containLabel: true },
          tooltip: {
            ...baseOption.tooltip,
            formatter: (items) => {
              const first = [].concat(items)[0];
              const r = list[first ? first.dataIndex : 0];
              if (!r) return '';
              return [
                `<b>Week of ${esc(dateLong(r.week_start))}</b>${r.flag ? ` <span style="color:${BAD}">● flagged</span>` : ''}`,
                `Expected payments <b>${esc(money(r.expected_payments))}</b>`,
                `Takebacks p10 / p50 / p90 <b>${esc(money(r.takeback_p10))} / ${esc(money(r.takeback_p50))} / ${esc(money(r.takeback_p90))}</b>`,
                `Scheduled offsets <b>${esc(money(r.scheduled_offsets))}</b>`,
                `Net cash (p50) <b>${esc(money(r.net_cash_p50))}</b>`,
                `Takeback share <b>${esc(pct(r.takeback_share))}</b>`,
              ].join('<br>');
            },
          },
          xAxis: [
            {
              type: 'category',
              data: weeks,
              boundaryGap: true,
              ...axisCommon,
              axisLabel: { ...axisCommon.axisLabel, formatter: dateShort },
            },
            { type: 'category', data: weeks, show: false },
          ],
          yAxis: { ...moneyAxis, max: yMax },
          series: [
            {
              name: 'Flagged week',
              type: 'bar',
              xAxisIndex: 1,
              barWidth: '94%',
              z: 0,
              silent: true,
              tooltip: { show: false },
              itemStyle: { color: 'rgba(180, 35, 24, 0.06)' },
              data: list.map((r) => (r.flag ? yMax : '-')),
            },
            {
              name: 'band-base',
              type: 'line',
              stack: 'band',
              symbol: 'none',
              lineStyle: { opacity: 0 },
              tooltip: { show: false },
              data: list.map((r) => num(r.takeback_p10)),
            },
            {
              name: 'Takebacks p10–p90',
              type: 'line',
              stack: 'band',
              symbol: 'none',
              lineStyle: { opacity: 0 },
              itemStyle: { color: BAND },
              areaStyle: { color: BAND },
              data: list.map((r) => Math.max(0, num(r.takeback_p90) - num(r.takeback_p10))),
            },
            {
              name: 'Scheduled offsets',
              type: 'bar',
              barWidth: '40%',
              itemStyle: { color: '#E69F00', opacity: 0.85 },
              data: list.map((r) => num(r.scheduled_offsets)),
            },
            {
              name: 'Takebacks p50',
              type: 'line',
              symbol: 'circle',
              symbolSize: 6,
              lineStyle: { width: 2.5, color: '#0072B2' },
              itemStyle: { color: '#0072B2' },
              data: list.map((r) => ({
                value: num(r.takeback_p50),
                itemStyle: r.flag ? { color: BAD, borderColor: BAD } : undefined,
                symbolSize: r.flag ? 9 : 6,
              })),
            },
            {
              name: '20% of expected payments',
              type: 'line',
              symbol: 'none',
              lineStyle: { type: 'dashed', width: 1.5, color: '#4D4D4D' },
              itemStyle: { color: '#4D4D4D' },
              data: list.map((r) => num(r.expected_payments) * 0.2),
            },
          ],
        },
        true,
      );
      tableBox.replaceChildren(
        table(
          [
            { label: 'Week of', render: (r) => dateLong(r.week_start) },
            { label: 'Expected payments', num: true, render: (r) => money(r.expected_payments) },
            { label: 'Takeback p10', num: true, render: (r) => money(r.takeback_p10) },
            { label: 'p50', num: true, render: (r) => money(r.takeback_p50) },
            { label: 'p90', num: true, render: (r) => money(r.takeback_p90) },
            { label: 'Scheduled offsets', num: true, render: (r) => money(r.scheduled_offsets) },
            { label: 'Net cash (p50)', num: true, render: (r) => money(r.net_cash_p50) },
            { label: 'Share', num: true, render: (r) => pct(r.takeback_share) },
            {
              label: '',
              render: (r) => (r.flag ? el('span', { class: 'pill flag', text: 'over 20%' }) : ''),
            },
          ],
          list,
        ),
      );
    }
    draw();
  }

  // ---------- alerts ----------

  function renderAlerts() {
    const a = data.alerts.available ? data.alerts.data : null;
    const body = card(
      'alerts',
      'Current takeback alerts',
      a?.current_since
        ? `Weeks from ${dateLong(a.current_since)} whose takebacks are far above the payer's trailing 26-week baseline, with what drove them.`
        : 'Weeks whose takebacks are far above the payer’s trailing baseline.',
    );
    if (!a) return notice(body, `Alerts not available: ${data.alerts.reason}.`);
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
      const drivers = (title, items) =>
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
              (r.top_claims || []).map((label, j) => {
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

  // ---------- appeals due ----------

  const STATUS_LABEL = {
    due_7_days: 'Due within 7 days',
    open: 'Open',
    expired: 'Expired',
    repaid_by_correction: 'Repaid by a correction',
  };
  function renderAppeals() {
    const a = data.appeals?.available ? data.appeals.data : null;
    const body = card(
      'appeals',
      'Appeals due',
      a
        ? `Takebacks the provider can dispute (reversals and offsets; not deferrals, their repayments or refunds), most money recoverable first, net of corrections repaid. Days left as of ${dateLong(a.as_of)}.`
        : 'Takebacks the provider can dispute, most money recoverable first.',
    );
    if (!a) return notice(body, `Appeals not available: ${data.appeals?.reason || 'no data'}.`);
    const tiles = el('div', { class: 'appeal-status' });
    for (const s of a.by_status) {
      tiles.append(
        el('div', { class: `appeal-tile status-${s.status}`, 'data-status': s.status }, [
          el('strong', { text: money(s.recoverable) }),
          el('span', { text: `${STATUS_LABEL[s.status] || titleCase(s.status)} · ${s.appeals}` }),
        ]),
      );
    }
    body.append(tiles);
    if (a.rows.length === 0) {
      body.append(el('p', { class: 'empty', text: 'No appeal is open.' }));
      return;
    }
    const columns = [
      { label: '#', num: true, render: (r) => String(r.rank) },
      {
        label: 'Status',
        render: (r) =>
          el('span', { class: `status-chip status-${r.status}`, text: STATUS_LABEL[r.status] || r.status }),
      },
      { label: 'Days left', num: true, render: (r) => String(r.days_left) },
      { label: 'Deadline', render: (r) => dateLong(r.appeal_deadline) },
      { label: 'Recoverable', num: true, render: (r) => money(r.recoverable_amount, true) },
      { label: 'Taken', num: true, render: (r) => money(r.amount, true) },
      { label: 'Payer', render: (r) => payerName(r.payer_id) },
      { label: 'Kind', render: (r) => (r.kind === 'plb' ? `PLB ${r.reason_code || ''}` : 'Reversal') },
      { label: 'ICN', render: (r) => r.payer_claim_control || '—' },
      {
        label: 'Claim',
        render: (r) => r.claim_id || '—',
        help: 'CLP01, the provider’s patient control number',
      },
      { label: 'Cause', render: (r) => titleCase(r.cause) },
      { label: 'Taken on', render: (r) => dateLong(r.payment_date) },
    ];
    body.append(
      el(
        'div',
        { class: 'table-wrap' },
        table(columns, a.rows, { rowAttrs: () => ({ class: 'appeal-row' }) }),
      ),
    );
    body.append(
      el('p', {
        class: 'small muted',
        text: `The ${a.rows.length} open appeals most recoverable${a.rows.length >= a.cap ? ` (of more; \`recoup appeals\` exports them all)` : ''}.`,
      }),
    );
  }

  // ---------- cohort heat map ----------

  function renderCohorts() {
    const c = data.cohorts?.available ? data.cohorts.data : null;
    let payer = payerOrder.find((p) => c?.rows.some((r) => r.payer_id === p)) || selectedPayer;
    const body = card(
      'cohorts',
      'Recoupment by payment month',
      `Each row is a month of payments; each cell the share of that month's paid taken back within so many weeks of payment (a development triangle). Cells still developing are paler.${c?.maturity_weeks ? ` A month's cohort rate is its share after ${c.maturity_weeks} weeks.` : ''}`,
      c
        ? payerSelect('cohort-payer', 'Payer', false, payer, (v) => {
            payer = v;
            draw();
          })
        : null,
    );
    if (!c) return notice(body, `Cohorts not available: ${data.cohorts?.reason || 'no data'}.`);
    const box = chartBox(
      'tall heatmap',
      'Development triangle: cumulative share of each payment month taken back by week',
    );
    const rates = el('div', { class: 'table-wrap' });
    body.append(box, el('h3', { class: 'chart-title spaced', text: 'Cohort rates' }), rates);
    const chart = makeChart(box);
    function draw() {
      const rows = c.rows.filter((r) => r.payer_id === payer);
      const months = rows.map((r) => r.cohort_month);
      const weeks = Math.max(0, ...rows.map((r) => (r.shares || []).length));
      const cells = [];
      let max = 0;
      rows.forEach((r, y) => {
        (r.shares || []).forEach((v, x) => {
          if (v === null || v === undefined) return;
          max = Math.max(max, Number(v));
          cells.push({
            value: [x, y, Number(v)],
            itemStyle: x > r.complete_weeks ? { opacity: 0.45 } : undefined,
          });
        });
      });
      chart.setOption(
        {
          ...baseOption,
          tooltip: {
            ...baseOption.tooltip,
            trigger: 'item',
            formatter: (i) =>
              `<b>${esc(monthLabel(months[i.value[1]]))}</b><br>after ${i.value[0]} week${i.value[0] === 1 ? '' : 's'}: <b>${esc(pct(i.value[2], 2))}</b> of paid`,
          },
          grid: { left: 8, right: 16, top: 16, bottom: 56, containLabel: true },
          xAxis: {
            type: 'category',
            name: 'weeks after payment',
            nameLocation: 'middle',
            nameGap: 28,
            data: Array.from({ length: weeks }, (_, i) => String(i)),
            ...axisCommon,
          },
          yAxis: {
            type: 'category',
            data: months,
            inverse: true,
            ...axisCommon,
            axisLabel: { ...axisCommon.axisLabel, formatter: monthLabel },
          },
          visualMap: {
            min: 0,
            max: max > 0 ? max : 0.01,
            calculable: false,
            orient: 'horizontal',
            left: 'center',
            bottom: 0,
            itemHeight: 120,
            text: [pct(max > 0 ? max : 0.01, 1), '0%'],
            inRange: { color: ['#f7fbff', '#6baed6', '#08306b'] },
          },
          series: [{ type: 'heatmap', data: cells, progressive: 0 }],
        },
        true,
      );
      rates.replaceChildren(
        table(
          [
            { label: 'Month', render: (r) => monthLabel(r.cohort_month) },
            { label: 'Paid', num: true, render: (r) => money(r.cohort_paid) },
            { label: 'Taken back so far', num: true, render: (r) => pct((r.shares || []).at(-1), 2) },
            {
              label: 'Cohort rate',
              num: true,
              render: (r) => (r.cohort_rate === null ? 'maturing' : pct(r.cohort_rate, 2)),
            },
            {
              label: 'Net cohort rate',
              num: true,
              render: (r) => (r.net_cohort_rate === null ? '—' : pct(r.net_cohort_rate, 2)),
            },
          ],
          rows,
        ),
      );
    }
    draw();
  }

  // ---------- closed months ----------

  const REASON_LABEL = {
    late_payment: 'late payment',
    late_takeback: 'late takeback',
    late_correction: 'late correction',
    cause_changed: 'cause changed',
    amount_changed: 'amount changed',
    no_longer_found: 'no longer in the lake',
    unexplained: 'unexplained',
  };
  function renderCloses() {
    const c = data.closes;
    const body = card(
      'closes',
      'Closed months',
      'Months frozen by `recoup close` as they were reported, and what changed in them since: each change with its reason and the late file that caused it.',
    );
    // No month closed yet is not a fault: say so plainly, not as a warning.
    if (!c || (!c.available && c.data.periods.length === 0)) {
      body.append(el('p', { class: 'empty', text: `No restatements to show: ${c?.reason || 'no data'}.` }));
      return;
    }
    if (!c.available) notice(body, `Restatements not available: ${c.reason}.`);
    body.append(
      el(
        'div',
        { class: 'table-wrap' },
        table(
          [
            { label: 'Month', render: (r) => monthLabel(`${r.period}-01`) },
            { label: 'Closed', render: (r) => String(r.closed_at).replace('T', ' ').slice(0, 16) },
            {
              label: 'Status',
              render: (r) =>
                el('span', {
                  class: r.restated ? 'status-chip restated' : 'status-chip',
                  'data-restated': r.restated ? 'true' : 'false',
                  text: r.restated ? 'Restated' : 'As reported',
                }),
            },
            { label: 'Late files', num: true, render: (r) => String(r.late_files) },
          ],
          c.data.periods,
          { rowAttrs: (r) => ({ class: r.restated ? 'restated-period' : null }) },
        ),
      ),
    );
    const totals = c.data.restatements.reduce((m, r) => {
      const k = `${r.period}|${r.payer_id}|${r.metric}`;
      if (!m.has(k)) m.set(k, r);
      return m;
    }, new Map());
    if (totals.size > 0) {
      body.append(
        el('h3', { class: 'chart-title spaced', text: 'Restated figures' }),
        el(
          'div',
          { class: 'table-wrap' },
          table(
            [
              { label: 'Month', render: (r) => monthLabel(`${r.period}-01`) },
              { label: 'Payer', render: (r) => payerName(r.payer_id) },
              { label: 'Figure', render: (r) => titleCase(r.metric) },
              { label: 'Reported', num: true, render: (r) => money(r.reported_value, true) },
              { label: 'Now', num: true, render: (r) => money(r.current_value, true) },
            ],
            [...totals.values()].filter((r) => r.reported_value !== r.current_value),
          ),
        ),
        el('h3', { class: 'chart-title spaced', text: 'Why' }),
        el(
          'div',
          { class: 'table-wrap' },
          table(
            [
              { label: 'Month', render: (r) => monthLabel(`${r.period}-01`) },
              { label: 'Payer', render: (r) => payerName(r.payer_id) },
              { label: 'Figure', render: (r) => titleCase(r.metric) },
              { label: 'Cause', render: (r) => (r.cause ? titleCase(r.cause) : '—') },
              { label: 'Reason', render: (r) => REASON_LABEL[r.reason] || r.reason },
              { label: 'Change', num: true, render: (r) => money(r.delta, true) },
              { label: 'Late file', render: (r) => r.source_key || '—' },
            ],
            c.data.restatements,
          ),
        ),
      );
    }
  }

  /** Months closed and restated since, as their first day (the monthly trend marks them). */
  const restatedMonths = new Set(
    (data.closes?.data?.periods || []).filter((p) => p.restated).map((p) => `${p.period}-01`),
  );

  // ---------- drill-down ----------

  /** "PLB WO" or "Reversal": the Kind column's text. */
  function kindLabel(r) {
    return r.kind === 'plb' ? `PLB ${r.reason_code || ''}`.trim() : titleCase(r.kind);
  }
  /** Lower case, one space between words: how the search box and the rows are compared. */
  function searchable(text) {
    return String(text).toLowerCase().replace(/\s+/g, ' ').trim();
  }
  /** What a drill-down row can be found by: the text of its columns (and raw amounts), one per line. */
  function drillSearchText(r) {
    const parts = [
      r.payer_id,
      names.get(r.payer_id),
      r.payment_date,
      kindLabel(r),
      r.kind,
      money(r.amount, true),
      r.amount,
      r.claim_id,
      r.payer_claim_control,
      r.payer_claim_control ? `ICN ${r.payer_claim_control}` : null,
      r.reference_id,
      r.original_payment_date,
      r.original_paid === null || r.original_paid === undefined ? null : money(r.original_paid, true),
      r.correction_payment_date,
      r.correction_payer_claim_control,
      r.correction_repaid === null || r.correction_repaid === undefined
        ? null
        : money(r.correction_repaid, true),
      r.lag_days === null || r.lag_days === undefined ? null : String(r.lag_days),
      titleCase(r.cause),
      r.cause_reason_code ? `CARC ${r.cause_reason_code}` : null,
      r.provider_npi,
    ];
    return parts
      .filter((p) => p !== null && p !== undefined && p !== '')
      .map(searchable)
      .join('\n');
  }

  let drawDrill = () => {};
  /** The drill-down rows the table shows now (after payer and search), for the CSV export. */
  let shownDrillRows = [];
  function renderDrill() {
    const body = card(
      'drilldown',
      'Takebacks of a payer',
      'Each takeback with the claim it took back, the correction that followed, days from the original payment and the cause. Largest first. Search any column; the CSV holds the rows shown.',
      payerSelect('drill-payer', 'Payer', true, selectedPayer, (v) => selectPayer(v, false)),
      'long',
    );
    if (!data.drill.available) return notice(body, `Drill-down not available: ${data.drill.reason}.`);
    const summary = el('p', { class: 'small muted', id: 'drill-summary' });
    const search = el('input', {
      type: 'search',
      id: 'drill-search',
      class: 'search',
      placeholder: 'Claim, ICN, PLB reference, code, cause…',
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-controls': 'drill-table',
      'aria-describedby': 'drill-count',
    });
    const count = el('span', { class: 'drill-count', id: 'drill-count', role: 'status' });
    const csvButton = el('button', {
      type: 'button',
      id: 'drill-csv',
      class: 'action',
      text: 'Download CSV',
      title: 'The rows shown, as CSV (no patient control numbers)',
      onclick: () => downloadDrillCsv(),
    });
    const tools = el('div', { class: 'controls drill-tools' }, [
      el('label', { for: 'drill-search', text: 'Search takebacks' }),
      search,
      count,
      csvButton,
    ]);
    const tableBox = el('div', { class: 'scroll-table', id: 'drill-table' });
    body.append(summary, tools, tableBox);
    const totals = new Map(data.drill.data.totals.map((t) => [t.payer_id, t]));
    // The selected payer's rows, each with its table row and search text (built on a payer change).
    let entries = [];
    let tbody = null;
    // Said when nothing matches and the report holds only the largest takebacks.
    let capNote = '';
    const noMatch = el('p', { class: 'empty', id: 'drill-no-match', hidden: true });
    const filter = () => {
      const query = searchable(search.value);
      const shown = query === '' ? entries : entries.filter((e) => e.text.includes(query));
      shownDrillRows = shown.map((e) => e.row);
      if (tbody) tbody.replaceChildren(...shown.map((e) => e.tr));
      count.textContent = `${shown.length} of ${entries.length} rows`;
      noMatch.hidden = !(query !== '' && shown.length === 0 && entries.length > 0);
      noMatch.textContent = `No listed takeback matches “${search.value.trim()}”.${capNote}`;
      csvButton.disabled = shown.length === 0;
    };
    search.addEventListener('input', filter);
    drawDrill = () => {
      const all = selectedPayer === '';
      const rows = all
        ? data.drill.data.rows
        : data.drill.data.rows.filter((r) => r.payer_id === selectedPayer);
      const chosen = all ? data.drill.data.totals : [totals.get(selectedPayer)].filter(Boolean);
      const takebacks = chosen.reduce((n, t) => n + Number(t.takeback_count), 0);
      const sum = chosen.reduce((c, t) => c + (cents(t.takeback) ?? 0n), 0n);
      const who = all ? 'All payers' : payerLabel(selectedPayer);
      capNote =
        takebacks > rows.length
          ? ` This report holds the ${rows.length} largest of ${takebacks.toLocaleString('en-US')} takebacks; \`recoup query\` on takeback_links finds the others.`
          : '';
      summary.textContent =
        chosen.length > 0
          ? `${who}: ${takebacks.toLocaleString('en-US')} takebacks totalling ${money(decimalOf(sum), true)}${takebacks > rows.length ? `; the ${rows.length} largest${all ? ' of each payer' : ''} are listed` : ''}.`
          : `${who}: no takebacks.`;
      if (rows.length === 0) {
        entries = [];
        tbody = null;
        tableBox.replaceChildren(el('p', { class: 'empty', text: 'No takebacks for this payer.' }));
        filter();
        return;
      }
      const claimText = (id, icn) => [
        id || '—',
        icn ? el('span', { class: 'payer-id', text: `ICN ${icn}` }) : null,
      ];
      const columns = [
        all
          ? {
              label: 'Payer',
              render: (r) => [payerName(r.payer_id), el('span', { class: 'payer-id', text: r.payer_id })],
            }
          : null,
        { label: 'Taken', render: (r) => r.payment_date || '—' },
        { label: 'Kind', render: (r) => el('span', { class: 'pill', text: kindLabel(r) }) },
        { label: 'Amount', num: true, render: (r) => money(r.amount, true) },
        {
          label: 'Original claim',
          help: 'CLP01 and ICN of the claim taken back; for a PLB offset, its PLB reference',
          render: (r) =>
            r.claim_id || r.payer_claim_control || !r.reference_id
              ? [
                  ...claimText(r.claim_id, r.payer_claim_control),
                  // A PLB offset that names a claim keeps its reference too: the alert cards link to it.
                  r.kind === 'plb' && r.reference_id
                    ? el('span', { class: 'payer-id' }, [
                        'PLB reference ',
                        el('span', { class: 'plb-ref', text: r.reference_id }),
                      ])
                    : null,
                ]
              : [
                  el('span', { class: 'plb-ref', text: r.reference_id }),
                  el('span', { class: 'payer-id', text: 'PLB reference' }),
                ],
        },
        {
          label: 'Originally paid',
          render: (r) => [
            r.original_payment_date || '—',
            r.original_paid !== null && r.original_paid !== undefined
              ? el('span', { class: 'payer-id', text: money(r.original_paid, true) })
              : null,
          ],
        },
        {
          label: 'Correction',
          render: (r) =>
            r.correction_payment_date
              ? [
                  r.correction_payment_date,
                  r.correction_payer_claim_control
                    ? el('span', { class: 'payer-id', text: `ICN ${r.correction_payer_claim_control}` })
                    : null,
                ]
              : el('span', { class: 'muted', text: r.kind === 'reversal' ? 'pending' : '—' }),
        },
        {
          label: 'Repaid',
          num: true,
          help: 'paid again on the correction',
          render: (r) =>
            r.correction_repaid === null || (r.kind !== 'reversal' && cents(r.correction_repaid) === 0n)
              ? '—'
              : money(r.correction_repaid, true),
        },
        {
          label: 'Lag (days)',
          num: true,
          render: (r) => (r.lag_days === null ? '—' : String(r.lag_days)),
        },
        {
          label: 'Cause',
          render: (r) => [
            causeText(r.cause),
            r.cause_reason_code
              ? el('span', { class: 'payer-id', text: `CARC ${r.cause_reason_code}` })
              : null,
          ],
        },
        { label: 'Provider NPI', render: (r) => r.provider_npi || '—' },
      ].filter(Boolean);
      const built = table(columns, rows, {
        rowAttrs: (r) => ({
          class: 'drill-row',
          'data-kind': r.kind,
          'data-reference': r.kind === 'plb' && r.reference_id ? r.reference_id : null,
        }),
      });
      tbody = built.querySelector('tbody');
      const trs = [...tbody.children];
      entries = rows.map((row, i) => ({ row, tr: trs[i], text: drillSearchText(row) }));
      tableBox.replaceChildren(built, noMatch);
      filter();
    };
    drawDrill();
  }

  /** Downloads the rows shown as CSV, built here (csv.js): a Blob, no request. */
  function downloadDrillCsv() {
    const csv = window.recoupCsv.drillCsv(shownDrillRows, (id) => names.get(id) ?? null);
    const query = document.getElementById('drill-search')?.value.trim();
    const name = `takebacks-${selectedPayer || 'all-payers'}${query ? '-search' : ''}-${data.as_of || 'report'}.csv`;
    // A byte order mark so that spreadsheet programs read the file as UTF-8.
    const url = URL.createObjectURL(new Blob(['\ufeff', csv], { type: 'text/csv;charset=utf-8' }));
    const link = el('a', { href: url, download: name.replace(/[^A-Za-z0-9._-]+/g, '_'), hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    // The download has started from the URL by then; it is freed a while later, not at once.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  /** Shows a payer's drill-down searched for `query` (an alert card's PLB reference) and moves there. */
  function showInDrill(payer, query) {
    const search = document.getElementById('drill-search');
    if (search) search.value = query;
    selectPayer(payer, false);
    const target = document.getElementById('drilldown');
    if (target) target.scrollIntoView({ block: 'start' });
    if (search) search.focus({ preventScroll: true });
  }

  function selectPayer(payer, scroll) {
    selectedPayer = payer;
    for (const tr of document.querySelectorAll('tr.payer-row'))
      tr.classList.toggle('selected', tr.getAttribute('data-payer') === payer);
    const select = document.getElementById('drill-payer');
    if (select) select.value = payer;
    drawDrill();
    const target = document.getElementById('drilldown');
    if (scroll && target) target.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }

  // ---------- footer ----------

  function renderFooter() {
    const f = document.getElementById('footer');
    f.append(
      el('p', {
        text: 'Definitions: paid = Σ CLP04 of claims not reversed (CLP02 ≠ 22); takeback = reversals (Σ −CLP04 of CLP02 = 22) + PLB recoveries (WO, WU, OB, 72); net = takeback − corrections repaid; rate = takeback ÷ paid. Refunds = −Σ PLB 72, interest = −Σ PLB L6, outstanding FB = −Σ PLB FB. Weeks start Monday; periods by payment date.',
      }),
    );
    const missing = data.marts?.missing.length ? ` Missing marts: ${data.marts.missing.join(', ')}.` : '';
    f.append(
      el('p', {
        text: `Generated ${data.generated_at ? data.generated_at.replace('T', ' ').slice(0, 16) : ''} UTC by recoup from marts: ${data.marts?.present.join(', ') || 'none'}.${missing}`,
      }),
    );
  }

  function safely(name, render) {
    try {
      render();
    } catch (error) {
      console.error(`report section ${name} failed`, error);
      notice(
        card(`${name}-error`, titleCase(name), null),
        `This section could not be drawn: ${error?.message ? error.message : error}`,
      );
    }
  }

  renderHeader();
  safely('scorecard', renderScorecard);
  safely('links', renderLinkRules);
  safely('trends', renderTrends);
  safely('breakdowns', renderBreakdowns);
  safely('forecast', renderForecast);
  safely('alerts', renderAlerts);
  safely('appeals', renderAppeals);
  safely('cohorts', renderCohorts);
  safely('closes', renderCloses);
  safely('drilldown', renderDrill);
  renderFooter();
  selectPayer(selectedPayer, false);

  // A section scrolled to (a nav link, an alert card's PLB link) starts below the sticky nav,
  // which wraps to several lines on a phone.
  const toc = document.querySelector('.toc');
  const measureToc = () => {
    if (toc) document.documentElement.style.setProperty('--toc-height', `${toc.offsetHeight}px`);
  };
  measureToc();
  const resize = () => {
    for (const c of charts) c.resize();
    measureToc();
  };
  window.addEventListener('resize', resize);
  window.addEventListener('beforeprint', resize);
  window.addEventListener('afterprint', resize);
  if (window.matchMedia) window.matchMedia('print').addEventListener('change', resize);
  document.documentElement.setAttribute('data-report-ready', 'true');
})();
