// PromQL builders. Every series is filtered by the dashboard's $job and $instance variables;
// metric names are always passed in (from lib/metrics.json), never written here.
{
  selector(extra=''):: '{job="$job", instance=~"$instance"%s}' % (if extra == '' then '' else ', ' + extra),

  rate(metric, extra=''):: 'rate(%s%s[$__rate_interval])' % [metric, self.selector(extra)],

  increase(metric, extra=''):: 'increase(%s%s[$__rate_interval])' % [metric, self.selector(extra)],

  sumRate(metric, by=[], extra='')::
    local grouping = if by == [] then '' else ' by (%s)' % std.join(', ', by);
    'sum%s (%s)' % [grouping, self.rate(metric, extra)],

  // A histogram's quantile from its buckets, optionally per label (e.g. per model).
  quantile(q, histogram, by=[])::
    'histogram_quantile(%s, sum by (%s) (%s))' % [q, std.join(', ', by + ['le']), self.rate(histogram + '_bucket')],

  // A histogram's mean over the interval: sum of observations / number of observations.
  mean(histogram, by=[])::
    '%s / %s' % [self.sumRate(histogram + '_sum', by), self.sumRate(histogram + '_count', by)],
}
