// Forms of the console. Validation is the API's: a 400 answer's {errors: {field: message}} is
// shown next to each field (aria-invalid + aria-describedby), anything else as one message at
// the top of the form. So the console, the CLI and the API all say the same thing.
'use strict';
(function () {
  const WX = (window.WX = window.WX || {});
  const { h } = WX;
  let seq = 0;

  // One field. spec: {name, label, type: text|password|number|select|lines|textarea,
  // value, options: [[value, label]], hint, required, readOnly, placeholder, autocomplete,
  // extra: node shown after the input (an indicator, a link)}.
  function field(formId, spec) {
    const id = `${formId}-${spec.name}`;
    const hintId = spec.hint ? id + '-hint' : null;
    const errId = id + '-error';
    const common = {
      id,
      name: spec.name,
      'aria-describedby': [hintId, errId].filter(Boolean).join(' '),
      'aria-required': spec.required ? 'true' : null,
      readOnly: spec.readOnly,
      placeholder: spec.placeholder,
      autocomplete: spec.autocomplete || 'off',
      spellcheck: spec.type === 'textarea' ? null : 'false',
    };
    let input;
    if (spec.type === 'select') {
      input = h('select', { ...common, disabled: spec.readOnly },
        spec.options.map(([v, label]) => h('option', { value: v, selected: String(spec.value) === v }, label)));
    } else if (spec.type === 'lines' || spec.type === 'textarea') {
      const v = Array.isArray(spec.value) ? spec.value.join('\n') : spec.value || '';
      input = h('textarea', { ...common, rows: spec.rows || 3, value: v });
    } else {
      input = h('input', {
        ...common,
        type: spec.type === 'number' ? 'text' : spec.type || 'text',
        inputmode: spec.type === 'number' ? 'numeric' : null,
        value: spec.value === undefined || spec.value === null ? '' : spec.value,
      });
    }
    const label = h('label', { for: id }, spec.label, spec.required ? h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null);
    const error = h('p', { class: 'field-error', id: errId, hidden: true });
    const wrap = h('div', { class: 'field' + (spec.wide ? ' wide' : ''), dataset: { field: spec.name } },
      label,
      h('div', { class: 'control' }, input, spec.extra || null),
      spec.hint ? h('p', { class: 'hint', id: hintId }, spec.hint) : null,
      error);
    return { spec, wrap, input, error };
  }

  // form({id, fields, submit, onSubmit(values, ctl), extraButtons}) -> controller with el.
  // onSubmit may throw an ApiError; its messages land next to the fields.
  function form(opts) {
    const formId = opts.id || 'f' + ++seq;
    const fields = opts.fields.filter(Boolean).map((s) => field(formId, s));
    const general = h('div', { class: 'form-error', role: 'alert', tabindex: '-1', hidden: true });
    const submit = h('button', { type: 'submit', class: opts.danger ? 'danger' : 'primary', text: opts.submit || 'Save' });
    const el = h('form', { id: formId, class: 'form' + (opts.class ? ' ' + opts.class : ''), novalidate: true, 'aria-label': opts.label },
      general,
      h('div', { class: 'fields' }, fields.map((f) => f.wrap)),
      h('div', { class: 'actions' }, submit, opts.extraButtons || null));

    function clearErrors() {
      general.hidden = true;
      general.replaceChildren();
      for (const f of fields) {
        f.error.hidden = true;
        f.error.textContent = '';
        f.input.removeAttribute('aria-invalid');
        f.wrap.classList.remove('invalid');
      }
    }

    function showError(err) {
      clearErrors();
      const byName = new Map(fields.map((f) => [f.spec.name, f]));
      const other = [];
      let first = null;
      for (const [name, msg] of Object.entries((err && err.errors) || {})) {
        const f = byName.get(name);
        if (f) {
          f.error.textContent = String(msg);
          f.error.hidden = false;
          f.input.setAttribute('aria-invalid', 'true');
          f.wrap.classList.add('invalid');
          if (!first) first = f.input;
        } else {
          other.push(`${name}: ${msg}`);
        }
      }
      const head = err && err.message ? String(err.message) : 'Something went wrong.';
      general.append(h('p', { text: head }));
      if (other.length) general.append(h('ul', null, other.map((t) => h('li', { text: t }))));
      general.hidden = false;
      (first || general).focus();
    }

    // Values as the API wants them: text trimmed (secrets as typed), "lines" as an array of
    // non-empty lines, "number" as an integer when it is one (else the text, so the API's
    // message about it shows), empty optional fields left out when opts.omitEmpty.
    function values() {
      const out = {};
      for (const f of fields) {
        const s = f.spec;
        if (s.readOnly || s.send === false) continue;
        const raw = f.input.value;
        let v;
        if (s.type === 'lines') v = raw.split('\n').map((x) => x.trim()).filter(Boolean);
        else if (s.type === 'password') v = raw;
        else if (s.type === 'select' && s.boolean) v = raw === 'true';
        else if (s.type === 'number') {
          const t = raw.trim();
          v = /^\d{1,15}$/.test(t) ? Number(t) : t;
        } else v = raw.trim();
        // A field whose empty value means something ("the default": 0) sends it.
        if (v === '' && s.emptyIs !== undefined) v = s.emptyIs;
        if ((v === '' && (s.omitEmpty || s.type === 'password' || s.type === 'number'))) continue;
        out[s.name] = v;
      }
      return out;
    }

    el.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (submit.disabled) return;
      submit.disabled = true;
      el.setAttribute('aria-busy', 'true');
      try {
        clearErrors();
        await opts.onSubmit(values(), ctl);
      } catch (err) {
        if (err && err.signedOut) return; // already on its way to the sign-in page
        showError(err);
      } finally {
        submit.disabled = false;
        el.removeAttribute('aria-busy');
      }
    });

    const ctl = { el, fields, values, showError, clearErrors, input: (n) => (fields.find((f) => f.spec.name === n) || {}).input };
    return ctl;
  }

  WX.form = form;
})();
