// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.26;

import {ProviderRegistry} from "./ProviderRegistry.sol";

/// @title ConsentRegistry: patients' consent directives, per patient token
/// @notice A grant lets one member organization receive a patient's records for one purpose of use
/// (HL7 v3 PurposeOfUse, encoded as a number 0..31, see the README), limited to a scope of resource
/// categories (bitmask) and excluding sensitive records by security label (bitmask), within a
/// validity period, citing the SHA-256 of the source FHIR Consent resource. Deny overrides permit:
/// a deny for all members (per purpose) or for one member (per purpose) wins over any grant, and no
/// grant means deny. Only the patient's custodian member, or a key the patient registered, writes a
/// patient's consent. A suspended custodian may still revoke and deny (that only narrows access).
/// Custody goes to the first active member that registers a token; a quorum of members can
/// override it (ProviderRegistry `proposeCustody`), and anyone then applies the decision here
/// (`applyCustodyDecision`). Grants written by the previous custodian stay in force until the new
/// custodian revokes them or sets a deny.
/// @dev `check` is O(1) - two storage reads - because TransferLog calls it for every transfer:
/// grants live at keccak256(token, grantee, purpose) packed in one slot that also carries the
/// per-grantee deny flag, and the all-members deny mask sits with the custodian in the patient's
/// slot. Only 32-byte HMAC tokens, organization accounts, codes and hashes are stored: no PHI.
contract ConsentRegistry {
    /// @notice Purpose-of-use codes (HL7 v3 PurposeOfUse); numbers 0..31 are valid, the README
    /// lists the rest of the assignment.
    uint8 public constant PURPOSE_TREAT = 0;
    uint8 public constant PURPOSE_ETREAT = 1;
    uint8 public constant PURPOSE_HPAYMT = 2;
    uint8 public constant PURPOSE_HOPERAT = 3;
    uint8 public constant PURPOSE_HRESCH = 4;
    uint8 public constant PURPOSE_PUBHLTH = 5;
    uint8 public constant PURPOSE_PATRQT = 6;
    uint8 public constant PURPOSE_COC = 7;

    /// @notice Results of `check`. TransferLog reports the same numbers as refusal reasons.
    uint8 public constant PERMIT = 0;
    uint8 public constant NO_CONSENT = 1;
    uint8 public constant DENIED = 2;
    uint8 public constant NOT_YET_VALID = 3;
    uint8 public constant EXPIRED = 4;
    uint8 public constant REVOKED = 5;
    uint8 public constant OUT_OF_SCOPE = 6;
    uint8 public constant EXCLUDED_LABEL = 7;
    uint8 public constant INVALID_PURPOSE = 8;

    uint8 private constant FLAG_GRANTED = 1;
    uint8 private constant FLAG_REVOKED = 2;
    uint8 private constant FLAG_DENIED = 4;

    /// @dev One storage slot (248 bits): read once per check.
    struct Grant {
        uint40 validFrom; // unix seconds, inclusive
        uint40 validUntil; // unix seconds, exclusive
        uint64 categories; // resource categories the grant covers
        uint64 exclusions; // security labels whose records must not be sent
        uint32 version; // bumped on every grant for this (token, grantee, purpose)
        uint8 flags; // FLAG_*
    }

    /// @dev One storage slot: the custodian and the purposes denied to every member.
    struct Patient {
        address custodian;
        uint32 deniedPurposes;
    }

    /// @notice A grant as written, for batch writes and reads.
    struct GrantInput {
        bytes32 patientToken;
        address grantee;
        uint8 purpose;
        uint64 categories;
        uint64 exclusions;
        uint40 validFrom;
        uint40 validUntil;
        bytes32 consentHash; // SHA-256 of the source FHIR Consent resource
    }

    /// @notice The registry whose active members may hold custody and receive grants.
    ProviderRegistry public immutable registry;

    mapping(bytes32 => Grant) private _grants; // consentKey => grant
    mapping(bytes32 => bytes32) private _consentHashes; // consentKey => FHIR Consent hash
    mapping(bytes32 => Patient) private _patients; // patient token => custodian, deny mask
    mapping(bytes32 => address) private _patientKeys; // patient token => patient's own key
    // patient token => proposal id of the last custody decision applied to it
    mapping(bytes32 => uint256) private _lastDecision;

    event PatientRegistered(
        bytes32 indexed patientToken,
        address indexed custodian,
        address patientKey
    );
    event CustodyTransferred(
        bytes32 indexed patientToken,
        address indexed from,
        address indexed to
    );
    event PatientKeyChanged(
        bytes32 indexed patientToken,
        address indexed custodian,
        address patientKey
    );
    event ConsentGranted(
        bytes32 indexed patientToken,
        address indexed grantee,
        address indexed custodian,
        uint8 purpose,
        uint64 categories,
        uint64 exclusions,
        uint40 validFrom,
        uint40 validUntil,
        uint32 version,
        bytes32 consentKey,
        bytes32 consentHash
    );
    event ConsentRevoked(
        bytes32 indexed patientToken,
        address indexed grantee,
        address indexed custodian,
        uint8 purpose,
        uint32 version,
        bytes32 consentKey,
        bytes32 consentHash
    );
    /// @notice A quorum's custody decision (ProviderRegistry proposal `proposalId`) was applied:
    /// `to` now holds custody; `from` is the previous custodian (zero if the patient was not
    /// registered).
    event CustodyReassigned(
        bytes32 indexed patientToken,
        address indexed from,
        address indexed to,
        uint256 proposalId
    );
    /// @notice grantee zero means the deny applies to every member.
    event DenyChanged(
        bytes32 indexed patientToken,
        address indexed grantee,
        address indexed custodian,
        uint32 purposeMask,
        bool denied,
        bytes32 consentHash
    );

    error NotActiveMember(address account);
    error AlreadyRegistered(bytes32 patientToken, address custodian);
    error UnknownPatient(bytes32 patientToken);
    error NotAuthorized(bytes32 patientToken, address caller);
    error InvalidGrant(string field);
    error NoSuchGrant(bytes32 consentKey);
    /// @notice The proposal is not an executed Custody proposal of the registry.
    error NotACustodyDecision(uint256 proposalId);
    /// @notice The decision was already applied, or a later decision for the same patient was.
    error DecisionApplied(uint256 proposalId);

    constructor(ProviderRegistry registry_) {
        registry = registry_;
    }

    // ---------------------------------------------------------------- patients

    /// @notice Makes the calling member the custodian of a patient's consent; optionally records a
    /// key the patient holds (zero for none), which may then write consent too.
    function registerPatient(bytes32 patientToken, address patientKey) external {
        if (!registry.isActive(msg.sender)) revert NotActiveMember(msg.sender);
        if (patientToken == bytes32(0)) revert InvalidGrant("patientToken");
        address current = _patients[patientToken].custodian;
        if (current != address(0)) revert AlreadyRegistered(patientToken, current);
        _patients[patientToken].custodian = msg.sender;
        _patientKeys[patientToken] = patientKey;
        emit PatientRegistered(patientToken, msg.sender, patientKey);
    }

    /// @notice Hands custody to another active member (the patient moved their care).
    function transferCustody(bytes32 patientToken, address newCustodian) external {
        address custodian = _authorize(patientToken, true);
        if (!registry.isActive(newCustodian)) revert NotActiveMember(newCustodian);
        _patients[patientToken].custodian = newCustodian;
        emit CustodyTransferred(patientToken, custodian, newCustodian);
    }

    /// @notice Sets or clears (zero) the patient's own key.
    function setPatientKey(bytes32 patientToken, address patientKey) external {
        address custodian = _authorize(patientToken, true);
        _patientKeys[patientToken] = patientKey;
        emit PatientKeyChanged(patientToken, custodian, patientKey);
    }

    /// @notice Applies a custody decision of the consortium's quorum: an executed Custody
    /// proposal of the registry (`proposeCustody`). Anyone may call it, since the decision already
    /// carries the quorum's approvals. The decided member becomes the custodian (registering the
    /// patient if nobody had), the purposes denied to every member are kept, and the patient key
    /// is cleared (`PatientKeyChanged` with key zero), since the previous custodian may have set a
    /// key it controls. A decision applies once, and never after a later decision for the same
    /// patient. Grants written by the previous custodian stay as they are: the new custodian
    /// revokes them (the `ConsentGranted` events, indexed by patient token, list them) or sets a
    /// deny.
    /// @param proposalId the registry's proposal id of the decision
    function applyCustodyDecision(uint256 proposalId) external {
        // getProposal reverts UnknownProposal for an id the registry never issued.
        (
            ProviderRegistry.Action action,
            address target,
            ,
            ,
            bool executed,
            ,
            bytes memory payload
        ) = registry.getProposal(proposalId);
        if (action != ProviderRegistry.Action.Custody || !executed) {
            revert NotACustodyDecision(proposalId);
        }
        bytes32 token = abi.decode(payload, (bytes32));
        if (proposalId <= _lastDecision[token]) revert DecisionApplied(proposalId);
        if (!registry.isActive(target)) revert NotActiveMember(target);
        _lastDecision[token] = proposalId;
        Patient storage p = _patients[token];
        address from = p.custodian;
        p.custodian = target; // deniedPurposes kept
        if (_patientKeys[token] != address(0)) {
            delete _patientKeys[token];
            emit PatientKeyChanged(token, target, address(0));
        }
        emit CustodyReassigned(token, from, target, proposalId);
    }

    // ---------------------------------------------------------------- consent writes

    /// @notice Grants (or replaces the grant of) a member access for one purpose.
    /// @return version the grant's new version number
    function grant(GrantInput calldata g) external returns (uint32 version) {
        return _grant(g);
    }

    /// @notice Several grants in one transaction (each checked as by `grant`; all or nothing).
    function grantBatch(GrantInput[] calldata grants) external {
        for (uint256 i = 0; i < grants.length; ++i) {
            _grant(grants[i]);
        }
    }

    /// @notice Revokes a grant; `consentHash` cites the FHIR Consent that records the revocation.
    function revoke(
        bytes32 patientToken,
        address grantee,
        uint8 purpose,
        bytes32 consentHash
    ) external {
        address custodian = _authorize(patientToken, false);
        bytes32 key = consentKey(patientToken, grantee, purpose);
        Grant storage s = _grants[key];
        if (s.flags & FLAG_GRANTED == 0 || s.flags & FLAG_REVOKED != 0) revert NoSuchGrant(key);
        s.flags |= FLAG_REVOKED;
        emit ConsentRevoked(patientToken, grantee, custodian, purpose, s.version, key, consentHash);
    }

    /// @notice Sets (`denied` true) or lifts a deny for the purposes in `purposeMask` (bit n =
    /// purpose n), for one member or, with `grantee` zero, for every member. A deny wins over any
    /// grant, including the emergency policy when it covers PURPOSE_ETREAT. Lifting a deny needs
    /// an active custodian (it widens access); setting one does not.
    function setDeny(
        bytes32 patientToken,
        address grantee,
        uint32 purposeMask,
        bool denied,
        bytes32 consentHash
    ) external {
        address custodian = _authorize(patientToken, !denied);
        if (purposeMask == 0) revert InvalidGrant("purposeMask");
        if (grantee == address(0)) {
            Patient storage p = _patients[patientToken];
            p.deniedPurposes = denied
                ? p.deniedPurposes | purposeMask
                : p.deniedPurposes & ~purposeMask;
        } else {
            for (uint8 purpose = 0; purpose < 32; ++purpose) {
                if ((purposeMask >> purpose) & 1 == 0) continue;
                Grant storage s = _grants[consentKey(patientToken, grantee, purpose)];
                s.flags = denied ? s.flags | FLAG_DENIED : s.flags & ~FLAG_DENIED;
            }
        }
        emit DenyChanged(patientToken, grantee, custodian, purposeMask, denied, consentHash);
    }

    // ---------------------------------------------------------------- reads

    /// @notice The key a grant is stored under; TransferLog's events cite it.
    function consentKey(
        bytes32 patientToken,
        address grantee,
        uint8 purpose
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(patientToken, grantee, purpose));
    }

    /// @notice Whether `grantee` may receive records of `categories` carrying security `labels`
    /// for `purpose` now. Deny overrides permit; no grant means NO_CONSENT. TransferLog passes
    /// zero categories and labels (the payload's are not put on chain); a gateway calls it with
    /// the payload's, through eth_call, before it records and sends.
    /// @return decision PERMIT or the reason for refusal
    /// @return key the consent key consulted
    /// @return version the grant's version (0 if there is none)
    function check(
        bytes32 patientToken,
        address grantee,
        uint8 purpose,
        uint64 categories,
        uint64 labels
    ) external view returns (uint8 decision, bytes32 key, uint32 version) {
        if (purpose >= 32) return (INVALID_PURPOSE, bytes32(0), 0);
        key = consentKey(patientToken, grantee, purpose);
        Grant memory g = _grants[key];
        version = g.version;
        if (g.flags & FLAG_DENIED != 0) return (DENIED, key, version);
        if ((_patients[patientToken].deniedPurposes >> purpose) & 1 != 0) {
            return (DENIED, key, version);
        }
        if (g.flags & FLAG_GRANTED == 0) return (NO_CONSENT, key, version);
        if (g.flags & FLAG_REVOKED != 0) return (REVOKED, key, version);
        if (block.timestamp < g.validFrom) return (NOT_YET_VALID, key, version);
        if (block.timestamp >= g.validUntil) return (EXPIRED, key, version);
        if (categories & ~g.categories != 0) return (OUT_OF_SCOPE, key, version);
        if (labels & g.exclusions != 0) return (EXCLUDED_LABEL, key, version);
        return (PERMIT, key, version);
    }

    /// @notice The stored grant for (token, grantee, purpose), whatever its state.
    function getGrant(
        bytes32 patientToken,
        address grantee,
        uint8 purpose
    )
        external
        view
        returns (Grant memory g, bool granted, bool revoked, bool denied, bytes32 consentHash)
    {
        bytes32 key = consentKey(patientToken, grantee, purpose);
        g = _grants[key];
        return (
            g,
            g.flags & FLAG_GRANTED != 0,
            g.flags & FLAG_REVOKED != 0,
            g.flags & FLAG_DENIED != 0,
            _consentHashes[key]
        );
    }

    /// @notice The proposal id of the last custody decision applied to a patient (0 if none).
    function custodyDecisionOf(bytes32 patientToken) external view returns (uint256) {
        return _lastDecision[patientToken];
    }

    /// @notice The custodian, the patient's key and the purposes denied to every member.
    function getPatient(
        bytes32 patientToken
    ) external view returns (address custodian, address patientKey, uint32 deniedPurposes) {
        Patient storage p = _patients[patientToken];
        return (p.custodian, _patientKeys[patientToken], p.deniedPurposes);
    }

    // ---------------------------------------------------------------- internals

    function _grant(GrantInput calldata g) private returns (uint32 version) {
        address custodian = _authorize(g.patientToken, true);
        if (!registry.isActive(g.grantee)) revert NotActiveMember(g.grantee);
        if (g.purpose >= 32) revert InvalidGrant("purpose");
        if (g.categories == 0) revert InvalidGrant("categories");
        if (g.validUntil <= g.validFrom || g.validUntil <= block.timestamp) {
            revert InvalidGrant("validUntil");
        }
        if (g.consentHash == bytes32(0)) revert InvalidGrant("consentHash");
        bytes32 key = consentKey(g.patientToken, g.grantee, g.purpose);
        Grant storage s = _grants[key];
        version = s.version + 1;
        // A grant replaces an earlier grant or revocation but never lifts a deny.
        _grants[key] = Grant({
            validFrom: g.validFrom,
            validUntil: g.validUntil,
            categories: g.categories,
            exclusions: g.exclusions,
            version: version,
            flags: (s.flags & FLAG_DENIED) | FLAG_GRANTED
        });
        _consentHashes[key] = g.consentHash;
        emit ConsentGranted(
            g.patientToken,
            g.grantee,
            custodian,
            g.purpose,
            g.categories,
            g.exclusions,
            g.validFrom,
            g.validUntil,
            version,
            key,
            g.consentHash
        );
    }

    /// @dev The caller must be the patient's custodian (active, when `needActive`) or the
    /// patient's registered key. Returns the custodian for the event.
    function _authorize(
        bytes32 patientToken,
        bool needActive
    ) private view returns (address custodian) {
        custodian = _patients[patientToken].custodian;
        if (custodian == address(0)) revert UnknownPatient(patientToken);
        if (msg.sender == custodian) {
            if (needActive && !registry.isActive(msg.sender)) revert NotActiveMember(msg.sender);
            return custodian;
        }
        address patientKey = _patientKeys[patientToken];
        if (patientKey == address(0) || msg.sender != patientKey) {
            revert NotAuthorized(patientToken, msg.sender);
        }
    }
}
