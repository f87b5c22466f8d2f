// Small SVG charts drawn on the server (no chart service, no script): a pipeline's last 24 hours.

import type { FC } from "hono/jsx";
import type { Overview } from "./stats";
import { duration } from "./layout";

const W = 300;
const H = 120;
const PAD = 18;

/** Bars of finished jobs per hour (failed ones stacked in red) and a line of their mean duration. */
export const DayChart: FC<{ name: string; day: Overview["hourly"][string] }> = ({ name, day }) => {
  const maxN = Math.max(1, ...day.map((d) => d.finished));
  const maxMs = Math.max(0, ...day.map((d) => d.meanMs ?? 0));
  const plotH = H - 2 * PAD;
  const bw = (W - 2 * PAD) / day.length;
  const y = (n: number) => H - PAD - (n / maxN) * plotH;
  const points = day
    .map((d, i) =>
      d.meanMs === null || maxMs === 0
        ? null
        : `${(PAD + i * bw + bw / 2).toFixed(1)},${(H - PAD - (d.meanMs / maxMs) * plotH).toFixed(1)}`,
    )
    .filter(Boolean)
    .join(" ");
  const total = day.reduce((s, d) => s + d.finished, 0);
  const failed = day.reduce((s, d) => s + d.failed, 0);
  const summary = `${name}: ${total} finished, ${failed} failed in the last 24 hours; longest mean duration ${duration(maxMs || null)}`;
  return (
    <figure>
      <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary}>
        <title>{summary}</title>
        <line x1={PAD} y1={H - PAD} x2={W - PAD} y2={H - PAD} />
        {day.map((d, i) => {
          const x = (PAD + i * bw + 1).toFixed(1);
          const okN = d.finished - d.failed;
          return (
            <g>
              {okN > 0 ? (
                <rect
                  class="ok"
                  x={x}
                  y={y(okN).toFixed(1)}
                  width={(bw - 2).toFixed(1)}
                  height={(H - PAD - y(okN)).toFixed(1)}
                />
              ) : null}
              {d.failed > 0 ? (
                <rect
                  class="bad"
                  x={x}
                  y={y(d.finished).toFixed(1)}
                  width={(bw - 2).toFixed(1)}
                  height={(y(okN) - y(d.finished)).toFixed(1)}
                />
              ) : null}
            </g>
          );
        })}
        {points ? <polyline class="dur" points={points} /> : null}
        <text x={PAD} y={H - 4}>
          −24 h
        </text>
        <text x={W - PAD} y={H - 4} text-anchor="end">
          now
        </text>
        <text x={PAD} y={12}>
          {`${maxN} jobs/h`}
        </text>
        <text x={W - PAD} y={12} text-anchor="end">
          {`mean ${duration(maxMs || null)}`}
        </text>
      </svg>
      <figcaption>
        <strong>{name}</strong>{" "}
        <span class="muted">{`${total} finished · ${failed} failed · line: mean duration`}</span>
      </figcaption>
    </figure>
  );
};
