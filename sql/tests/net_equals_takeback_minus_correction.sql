-- Offending rows: a takeback whose net is not gross − correction repaid, or a PLB pair with a
-- correction, or a reversal whose correction is not later than it.
select takeback_id, kind, amount, correction_repaid, net_amount
from int_takebacks
where net_amount <> amount - correction_repaid
    or (kind = 'plb' and correction_repaid <> 0)
    or (kind = 'reversal' and correction_payment_date < payment_date)
    or (kind not in ('reversal', 'plb'))
