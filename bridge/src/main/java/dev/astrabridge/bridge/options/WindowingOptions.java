package dev.astrabridge.bridge.options;

import java.util.List;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Event-time windows: the scope of deduplication and of the optional rollups. Rows are always written as events
 * arrive; windows never delay them.
 */
public interface WindowingOptions extends PipelineOptions {
  @Description("Window type: none, fixed, sliding or session")
  @Default.String("fixed")
  @TemplateRegex("^(none|fixed|sliding|session)$")
  String getWindowType();

  void setWindowType(String value);

  @Description("Window size (fixed, sliding) or gap (session), e.g. 1m, 30s, 1h")
  @Default.String("1m")
  @TemplateRegex("^(\\d+(ms|s|m|h|d)|P[0-9A-Z.]+)$")
  String getWindowSize();

  void setWindowSize(String value);

  @Description("Sliding windows: how often a window starts, e.g. 10s")
  @Default.String("10s")
  @TemplateRegex("^(\\d+(ms|s|m|h|d)|P[0-9A-Z.]+)$")
  String getWindowPeriod();

  void setWindowPeriod(String value);

  @Description("Events later than this behind the watermark go to the dead-letter output with reason 'late', e.g. 5m")
  @Default.String("5m")
  @TemplateRegex("^(\\d+(ms|s|m|h|d)|P[0-9A-Z.]+)$")
  String getAllowedLateness();

  void setAllowedLateness(String value);

  @Description("Rollups: early results every this often (processing time) before the window closes, e.g. 10s")
  @Default.String("10s")
  @TemplateRegex("^(\\d+(ms|s|m|h|d)|P[0-9A-Z.]+)$")
  String getEarlyFiring();

  void setEarlyFiring(String value);

  @Description("Rollup table (keyspace from --keyspace); unset: no rollups. Primary key: the rollup keys +"
      + " window_start")
  String getRollupTable();

  void setRollupTable(String value);

  @Description("Rollup keys: record field paths, comma separated, e.g. status")
  List<String> getRollupKeys();

  void setRollupKeys(List<String> value);

  @Description("Rollup values: numeric field paths; each gets <name>_sum, _min, _max columns, e.g. amount")
  List<String> getRollupFields();

  void setRollupFields(List<String> value);
}
