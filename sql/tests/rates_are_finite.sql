-- Offending rows: a rate that is NaN or infinite, or present where paid is 0.
select 'recoupment_rates' as mart, grain as slice, paid, recoupment_rate, net_recoupment_rate
from recoupment_rates
where isnan(recoupment_rate) or isinf(recoupment_rate)
    or isnan(net_recoupment_rate) or isinf(net_recoupment_rate)
    or (paid = 0 and (recoupment_rate is not null or net_recoupment_rate is not null))
union all
select 'payer_scorecard', payer_id, paid, recoupment_rate, net_recoupment_rate
from payer_scorecard
where isnan(recoupment_rate) or isinf(recoupment_rate)
    or isnan(net_recoupment_rate) or isinf(net_recoupment_rate)
    or (paid = 0 and (recoupment_rate is not null or net_recoupment_rate is not null))
union all
select 'takeback_trend', grain || ' ' || payer_id, paid, recoupment_rate, net_recoupment_rate
from takeback_trend
where isnan(recoupment_rate) or isinf(recoupment_rate)
    or isnan(net_recoupment_rate) or isinf(net_recoupment_rate)
    or (paid = 0 and (recoupment_rate is not null or net_recoupment_rate is not null))
