// The criteria for an unrendered Helm action (src/manifests/templates.ts), both sides.
import { describe, expect, it } from "vitest";
import { findHelmLeftover, isHelmAction } from "../../../src/manifests/templates.js";

describe("isHelmAction", () => {
  it("Helm built-in objects anywhere in an action (https://helm.sh/docs/chart_template_guide/builtin_objects/)", () => {
    for (const t of [
      "{{ .Values.image }}",
      "{{.Values.image}}",
      "{{- .Release.Name }}-web",
      "repo/{{ .Chart.AppVersion }}",
      "{{ $.Values.x }}",
      "{{ toYaml .Values.resources | nindent 12 }}",
      '{{- if .Capabilities.APIVersions.Has "x" }}',
      '{{ .Files.Get "a" }}',
      "{{ (.Values.x) }}",
    ])
      expect({ t, helm: isHelmAction(t) }).toEqual({ t, helm: true });
  });

  it("Helm-only functions first in an action (https://helm.sh/docs/howto/charts_tips_and_tricks/)", () => {
    for (const t of [
      '{{ include "x.fullname" . }}',
      "{{- tpl .x . }}",
      '{{ required "set x" .x }}',
      '{{ lookup "v1" "Pod" "" "" }}',
    ])
      expect({ t, helm: isHelmAction(t) }).toEqual({ t, helm: true });
  });

  it("Go templates of other programs are not Helm", () => {
    for (const t of [
      "{{ $labels.instance }} is down",
      "{{ .Names }}",
      "{{.State.Pid}}",
      "{{ range .Alerts }}{{ .Labels.alertname }}{{ end }}",
      '{{ template "slack.title" . }}',
      "{{inputs.parameters.message}}",
      "{{ .Config.Values }}",
      "{{ $labels.Values }}",
      '{"time":"{{ .Time }}"}',
      "$(VAR) and $HOME",
    ])
      expect({ t, helm: isHelmAction(t) }).toEqual({ t, helm: false });
  });
});

describe("findHelmLeftover", () => {
  it("returns the path of the first leftover, keys included", () => {
    expect(findHelmLeftover({ spec: { a: ["x", "{{ .Values.y }}"] } })?.path).toEqual(["spec", "a", 1]);
    expect(findHelmLeftover({ metadata: { labels: { "{{ .Release.Name }}": "x" } } })?.path).toEqual([
      "metadata",
      "labels",
      "{{ .Release.Name }}",
    ]);
  });

  it("skips the data of ConfigMaps and Secrets, also inside a List", () => {
    const cm = { kind: "ConfigMap", data: { t: "{{ .Values.x }}" }, metadata: { name: "a" } };
    expect(findHelmLeftover(cm)).toBeUndefined();
    expect(findHelmLeftover({ kind: "List", items: [cm] })).toBeUndefined();
    expect(findHelmLeftover({ kind: "Secret", stringData: { t: "{{ .Values.x }}" } })).toBeUndefined();
    expect(findHelmLeftover({ kind: "ConfigMap", metadata: { name: "{{ .Release.Name }}" } })?.path).toEqual([
      "metadata",
      "name",
    ]);
  });
});
