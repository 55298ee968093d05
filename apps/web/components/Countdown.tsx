"use client";

import { useEffect, useState } from "react";

/**
 * A live countdown to an instant, and that instant in the reader's own time zone (the browser's
 * zone, formatted by Intl; no offsets computed here). The remaining time is an instant difference,
 * the same in every zone. Server-rendered with the server's clock, then ticks every second.
 */
export function Countdown(props: {
  target: string;
  /** When the target passes, the phase text to show (late or closed), and whether anything is still accepted. */
  labels: { before: string; after: string; countdown: string; yourZone: string };
  lang: "ja" | "en";
  serverNow: string;
}) {
  const target = Date.parse(props.target);
  const [now, setNow] = useState(() => Date.parse(props.serverNow));
  const [local, setLocal] = useState<{ zone: string; time: string } | null>(null);
  useEffect(() => {
    setNow(Date.now());
    const fmt = new Intl.DateTimeFormat(props.lang === "ja" ? "ja-JP" : "en-GB", { dateStyle: "full", timeStyle: "long" });
    setLocal({ zone: fmt.resolvedOptions().timeZone, time: fmt.format(new Date(target)) });
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [target, props.lang]);
  const left = Math.max(0, target - now);
  const s = Math.floor(left / 1000);
  const text = props.labels.countdown
    .replace("{d}", String(Math.floor(s / 86_400)))
    .replace("{h}", String(Math.floor((s % 86_400) / 3600)))
    .replace("{m}", String(Math.floor((s % 3600) / 60)))
    .replace("{s}", String(s % 60));
  return (
    <div data-testid="countdown" data-target={props.target} data-left-ms={left}>
      {left > 0 ? (
        <p>
          {props.labels.before}: <span className="countdown" role="timer" aria-live="off">{text}</span>
        </p>
      ) : (
        <p className="countdown" data-testid="countdown-passed">
          {props.labels.after}
        </p>
      )}
      {local === null ? null : (
        <p className="hint" data-testid="local-time">
          {props.labels.yourZone.replace("{zone}", local.zone).replace("{time}", local.time)}
        </p>
      )}
    </div>
  );
}
