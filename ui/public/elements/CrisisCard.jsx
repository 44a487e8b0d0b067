// A distinct crisis card: the human contacts first, as big tap-to-call links.
// variant "concern": the calmer box that goes with a normal answer (distress, risk below crisis).
export default function CrisisCard() {
  const contacts = props.contacts || [];
  const concern = props.variant === "concern";
  return (
    <section
      role={concern ? "note" : "alert"}
      aria-label={props.title}
      className={
        (concern ? "wegwijs-concern-card border-amber-600" : "wegwijs-crisis-card border-red-600") +
        " rounded-lg border-2 p-4 my-2"
      }
      style={
        concern
          ? { background: "var(--concern-bg, #fff8e6)", color: "var(--concern-fg, #3b2a00)" }
          : { background: "var(--crisis-bg, #fff1f1)", color: "var(--crisis-fg, #3b0000)" }
      }
    >
      <h2 className="text-xl font-bold mb-2">{props.title}</h2>
      <p className="mb-3 text-lg">{props.lead}</p>
      <ul className="space-y-3">
        {contacts.map((c) => (
          <li key={c.name} className="text-lg">
            <strong>{c.name}</strong>
            {c.phones.map((p) => (
              <a
                key={p.tel}
                href={p.tel}
                className="ml-2 inline-block rounded bg-red-700 px-3 py-2 font-bold text-white"
                aria-label={"Bel " + c.name + " op " + p.display}
              >
                Bel {p.display}
              </a>
            ))}
            {c.chat_url ? (
              <a href={c.chat_url} target="_blank" rel="noopener" className="ml-2 underline">
                Chat
              </a>
            ) : null}
            <div className="text-base">{c.hours}</div>
          </li>
        ))}
      </ul>
      <p className="mt-3 text-base">{props.closing}</p>
    </section>
  );
}
