# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled loops for two monthly passes over every practice in sim/networks.py: what one kind of
membership brings (membership_benefits) and each network's patients and members (update_sizes).

Each computes, element by element, the same floating-point operations in the same order as the
numpy code it stands for (built with -ffp-contract=off), so the results are identical; the tests
compare them. Change both together.
"""
from libc.stdint cimport int32_t, int64_t


def add_benefits(int64_t month, const int32_t[::1] slot, const unsigned char[::1] is_open, const int32_t[::1] formed,
                 const double[::1] patients, const int32_t[::1] lead, organisation, double[::1] staff,
                 double[::1] burnout, double[::1] cover, double[::1] saving, double[::1] cross_site,
                 unsigned char[::1] mature):
    """Add one organisation kind's effects to each practice's benefits, in place (the body of
    membership_benefits' loop over kinds)."""
    cdef double workforce_months = organisation.workforce_ramp_months
    cdef double money_months = organisation.sustainability_ramp_months
    cdef double large_size = organisation.large_size_patients
    cdef double support = organisation.staff_support, large_support = organisation.large_staff_support
    cdef double pooled = organisation.pooled_cover, back_office = organisation.back_office_saving_per_patient
    cdef double cross_site_cost = organisation.cross_site_continuity_cost, leader = organisation.leader_burnout
    cdef Py_ssize_t i, safe
    cdef bint member
    cdef int32_t age
    cdef double workforce_ramp, money_ramp, value
    for i in range(slot.shape[0]):
        member = slot[i] >= 0 and is_open[i]
        safe = slot[i] if slot[i] > 0 else 0
        age = <int32_t>(month - formed[safe]) if member else 0
        workforce_ramp = _clip01(<double>age / workforce_months) * <double>member
        money_ramp = _clip01(<double>age / money_months) * <double>member
        value = (support + <double>(patients[safe] > large_size) * large_support) * workforce_ramp
        staff[i] = _maximum(staff[i], value)
        cover[i] = _maximum(cover[i], pooled * workforce_ramp)
        saving[i] = saving[i] + back_office * money_ramp
        cross_site[i] = cross_site[i] + cross_site_cost * workforce_ramp
        mature[i] = mature[i] | (workforce_ramp >= 1.0)
        burnout[i] = burnout[i] + leader * (1.0 - money_ramp) * <double>(member and lead[safe] == i)


def count_members(const int32_t[:, ::1] membership, const unsigned char[::1] is_open, const double[::1] list_size,
                  const unsigned char[::1] rural, double[::1] patients, int64_t[::1] members, double[::1] rural_patients):
    """Each network's patients, members and rural patients, summed over open member practices in
    kind then slot order (as np.bincount sums them); the outputs must start at zero."""
    cdef Py_ssize_t kind, i, network
    for kind in range(membership.shape[0]):
        for i in range(membership.shape[1]):
            network = membership[kind, i]
            if network >= 0 and is_open[i]:
                patients[network] += list_size[i]
                members[network] += 1
                rural_patients[network] += list_size[i] * <double>rural[i]


cdef inline double _clip01(double x) noexcept nogil:
    """np.clip(x, 0.0, 1.0) for a number that is not NaN."""
    x = x if x > 0.0 else 0.0
    return x if x < 1.0 else 1.0


cdef inline double _maximum(double a, double b) noexcept nogil:
    """np.maximum(a, b) for numbers that are not NaN."""
    return a if a >= b else b
