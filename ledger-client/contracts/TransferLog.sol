// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.26;

import {ConsentRegistry} from "./ConsentRegistry.sol";
import {ProviderRegistry} from "./ProviderRegistry.sol";

/// @title TransferLog: every record transfer between members, refused without consent
/// @notice The sending gateway records a transfer here before it delivers the payload; the
/// recipient verifies the commitment against the event before accepting. The contract itself
/// refuses a transfer that the ConsentRegistry does not permit, except an emergency-treatment
/// (ETREAT) transfer while consortium policy enables emergency access and no explicit deny
/// applies; such a transfer is recorded with FLAG_EMERGENCY.
/// @dev Transfer ids are numbered by the sender (e.g. its durable outbox sequence): (from, id) is
/// the global identity, and recording it again is a no-op, so retries are safe. Seen ids are bits
/// in a per-sender bitmap (256 per slot), so consecutive ids cost ~100 gas of storage instead of a
/// fresh 22,100-gas slot each; the details live only in the TransferRecorded event.
contract TransferLog {
    /// @notice Input flag: `commitment` is the Merkle root of a record batch, not one record's.
    uint8 public constant FLAG_BATCH_ROOT = 1;
    /// @notice Output flag: recorded under the emergency policy rather than a consent grant.
    uint8 public constant FLAG_EMERGENCY = 2;

    /// @notice Refusal reasons beyond ConsentRegistry's decisions (1..8).
    uint8 public constant RECIPIENT_NOT_ACTIVE = 16;
    uint8 public constant SELF_TRANSFER = 17;
    uint8 public constant INVALID_FLAGS = 18;

    /// @notice One transfer as the sender submits it.
    struct Transfer {
        uint256 id; // sender-scoped transfer id
        address to; // recipient member account
        bytes32 patientToken;
        bytes32 commitment; // record commitment, or batch root with FLAG_BATCH_ROOT
        uint8 purpose; // ConsentRegistry purpose code
        uint8 flags; // FLAG_BATCH_ROOT or 0
    }

    ProviderRegistry public immutable registry;
    ConsentRegistry public immutable consents;

    mapping(address => mapping(uint256 => uint256)) private _seen; // from => id/256 => bits

    // ConsentRegistry's codes, read once at deployment so the two contracts cannot disagree.
    uint8 private immutable _permit;
    uint8 private immutable _denied;
    uint8 private immutable _invalidPurpose;
    uint8 private immutable _purposeEtreat;

    event TransferRecorded(
        address indexed from,
        address indexed to,
        bytes32 indexed patientToken,
        uint256 transferId,
        bytes32 commitment,
        uint8 purpose,
        uint8 flags,
        bytes32 consentKey,
        uint32 consentVersion
    );
    /// @notice Emitted by recordTransfers for a transfer it skipped; the id stays unused.
    event TransferRefused(
        address indexed from,
        address indexed to,
        bytes32 indexed patientToken,
        uint256 transferId,
        uint8 reason
    );

    error NotActiveMember(address account);
    error TransferNotPermitted(uint256 transferId, uint8 reason);

    constructor(ProviderRegistry registry_, ConsentRegistry consents_) {
        registry = registry_;
        consents = consents_;
        _permit = consents_.PERMIT();
        _denied = consents_.DENIED();
        _invalidPurpose = consents_.INVALID_PURPOSE();
        _purposeEtreat = consents_.PURPOSE_ETREAT();
    }

    /// @notice Records one transfer, or reverts with TransferNotPermitted(id, reason).
    /// @return recorded false when (msg.sender, t.id) was already recorded (nothing changes)
    function recordTransfer(Transfer calldata t) external returns (bool recorded) {
        if (!registry.isActive(msg.sender)) revert NotActiveMember(msg.sender);
        bool emergencyOk = registry.emergencyAccessEnabled();
        mapping(uint256 => uint256) storage seen = _seen[msg.sender];
        if (_isSeen(seen, t.id)) return false;
        uint8 reason = _record(seen, t, registry.isActive(t.to), emergencyOk);
        if (reason != 0) revert TransferNotPermitted(t.id, reason);
        return true;
    }

    /// @notice Records many transfers. Already-recorded ids are skipped silently; a refused
    /// transfer is skipped with a TransferRefused event, so one revoked consent does not hold up
    /// the rest. Read the receipt's events to learn each transfer's outcome.
    /// @return recorded number of transfers newly recorded
    function recordTransfers(Transfer[] calldata transfers) external returns (uint256 recorded) {
        if (!registry.isActive(msg.sender)) revert NotActiveMember(msg.sender);
        bool emergencyOk = registry.emergencyAccessEnabled();
        mapping(uint256 => uint256) storage seen = _seen[msg.sender];
        address lastTo;
        bool lastToActive;
        for (uint256 i = 0; i < transfers.length; ++i) {
            Transfer calldata t = transfers[i];
            if (_isSeen(seen, t.id)) continue;
            if (t.to != lastTo) {
                // Batches usually go to few recipients: ask the registry once per run.
                lastTo = t.to;
                lastToActive = registry.isActive(t.to);
            }
            uint8 reason = _record(seen, t, lastToActive, emergencyOk);
            if (reason == 0) {
                ++recorded;
            } else {
                emit TransferRefused(msg.sender, t.to, t.patientToken, t.id, reason);
            }
        }
    }

    /// @notice Whether `from` has recorded transfer `transferId`.
    function isRecorded(address from, uint256 transferId) external view returns (bool) {
        return _isSeen(_seen[from], transferId);
    }

    /// @dev Checks and records one not-yet-seen transfer; returns 0 or the refusal reason.
    function _record(
        mapping(uint256 => uint256) storage seen,
        Transfer calldata t,
        bool toActive,
        bool emergencyOk
    ) private returns (uint8) {
        if (!toActive) return RECIPIENT_NOT_ACTIVE;
        if (t.to == msg.sender) return SELF_TRANSFER;
        if (t.flags & ~FLAG_BATCH_ROOT != 0) return INVALID_FLAGS;
        // Scope (categories, labels) is not checked here: the payload's categories and security
        // labels would tell the whole consortium e.g. that a patient's record holds HIV data, and
        // a sender could misdeclare them anyway. The sending gateway filters the payload by the
        // grant's scope and the recipient verifies it; the chain checks the consent itself.
        (uint8 decision, bytes32 key, uint32 version) = consents.check(
            t.patientToken,
            t.to,
            t.purpose,
            0,
            0
        );
        uint8 flags = t.flags;
        if (decision != _permit) {
            // Break the glass: emergency treatment may go without a grant, never against a deny.
            bool emergency = emergencyOk &&
                t.purpose == _purposeEtreat &&
                decision != _denied &&
                decision != _invalidPurpose;
            if (!emergency) return decision;
            flags |= FLAG_EMERGENCY;
        }
        seen[t.id >> 8] |= 1 << (t.id & 0xff);
        emit TransferRecorded(
            msg.sender,
            t.to,
            t.patientToken,
            t.id,
            t.commitment,
            t.purpose,
            flags,
            key,
            version
        );
        return 0;
    }

    function _isSeen(
        mapping(uint256 => uint256) storage seen,
        uint256 id
    ) private view returns (bool) {
        return (seen[id >> 8] >> (id & 0xff)) & 1 != 0;
    }
}
