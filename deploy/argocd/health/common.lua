-- Maps warmstandby conditions to Argo CD health. Shared by the three kinds.
local function condition(obj, type_)
  if obj.status == nil or obj.status.conditions == nil then return nil end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == type_ then return c end
  end
  return nil
end

local function health(obj)
  if obj.spec ~= nil and obj.spec.paused == true then
    return { status = "Suspended", message = "paused: observed and reported only" }
  end
  if obj.status == nil then
    return { status = "Progressing", message = "waiting for the operator" }
  end
  local generation = obj.metadata and obj.metadata.generation
  if generation ~= nil and obj.status.observedGeneration ~= nil and obj.status.observedGeneration < generation then
    return { status = "Progressing", message = "the operator has not seen the latest spec yet" }
  end
  local valid = condition(obj, "SpecValid")
  if valid ~= nil and valid.status == "False" then
    return { status = "Degraded", message = valid.message }
  end
  local degraded = condition(obj, "Degraded")
  if degraded ~= nil and degraded.status == "True" then
    return { status = "Degraded", message = degraded.message }
  end
  -- Observe only: the operator changes nothing. Matching the spec is
  -- Healthy; a plan waiting for Manage is Suspended, not Progressing (it
  -- will not move by itself).
  if obj.spec ~= nil and obj.spec.managementPolicy == "Observe" then
    local ready = condition(obj, "Ready")
    if ready ~= nil and ready.status == "True" then
      return { status = "Healthy", message = "observe only: " .. (ready.message or "") }
    end
    local message = "observe only"
    if ready ~= nil and ready.message ~= nil and ready.message ~= "" then message = ready.message end
    return { status = "Suspended", message = message }
  end
  local ready = condition(obj, "Ready")
  if ready ~= nil and ready.status == "True" then
    return { status = "Healthy", message = ready.message }
  end
  local message = "reconciling"
  if ready ~= nil and ready.message ~= nil and ready.message ~= "" then message = ready.message end
  return { status = "Progressing", message = message }
end

return health(obj)
