/** Code with line numbers (numbers are not selected when copying). */
export function CodeLines({ source, testId }: { source: string; testId?: string }) {
  const lines = source.replace(/\n$/, "").split("\n");
  return (
    <pre className="code code-lines" data-testid={testId}>
      {lines.map((line, i) => (
        <span key={i} className="code-line">
          <span className="ln" aria-hidden="true">
            {i + 1}
          </span>
          {line}
          {"\n"}
        </span>
      ))}
    </pre>
  );
}
